// One keychain operation in a process of its own (test/interop/keychainVault.test.ts): the vault
// over the data folder's database and whatever Secret Service DBUS_SESSION_BUS_ADDRESS names.
//   keychainChild.ts DATA put LABEL USER REMEMBER   (password from PIC_KEYCHAIN_PASSWORD)
//   keychainChild.ts DATA get ID | remove ID | list | raw-get REF | raw-delete REF
// Prints one JSON line; the vault's log lines go to stderr.
import { Entry } from '@napi-rs/keyring';
import { openDatabase } from '../../main/store/database.js';
import { KEYCHAIN_SERVICE, openKeychainVault } from '../../main/engine/keychainVault.js';

const [dataDir, op, ...args] = process.argv.slice(2) as [string, string, ...string[]];
const db = openDatabase({ location: dataDir });
try {
  if (op === 'raw-get') {
    // The keychain itself, by ref, without the vault.
    const password = new Entry(KEYCHAIN_SERVICE, args[0]!, { linux: { store: 'secret-service' } }).getPassword();
    console.log(JSON.stringify({ password }));
  } else if (op === 'raw-delete') {
    new Entry(KEYCHAIN_SERVICE, args[0]!, { linux: { store: 'secret-service' } }).deleteCredential();
    console.log(JSON.stringify({ deleted: true }));
  } else {
    const vault = openKeychainVault(db, { log: (line) => console.error(line) });
    const out: Record<string, unknown> = { storage: vault.storage, problem: vault.problem };
    if (op === 'put') {
      out.id = vault.put(args[0]!, args[1]!, process.env.PIC_KEYCHAIN_PASSWORD ?? '', { remember: args[2] === 'true' });
    } else if (op === 'get') {
      out.credential = vault.installCredential(Number(args[0]));
    } else if (op === 'remove') {
      try {
        vault.remove(Number(args[0]));
      } catch (error) {
        out.error = (error as Error).message;
      }
    } else if (op !== 'list') {
      throw new Error(`unknown operation ${op}`);
    }
    out.list = vault.list();
    out.refs = db.prepare('SELECT id, secret_ref FROM credentials ORDER BY id').all();
    console.log(JSON.stringify(out));
  }
} finally {
  db.close();
}
