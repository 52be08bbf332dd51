// What the simulated msiexec does on a lab host: the exit code its profile dictates, and the
// verbose log (`msiexec /l*v`) Windows Installer would have written — a few KB in the real
// format, so the console's log viewer, its size limits and its result mapping see what they
// would see from a Windows host. The numbers in it are made up; the shape is not.
import crypto from 'node:crypto';
import type { PushAction } from '../../server/agentProtocol.js';
import type { LabProfile } from '../hostState.js';

/**
 * msiexec's exit code by profile and action (MS docs "MsiExec.exe and InstMsi.exe error messages").
 * `installed`: whether the package's product is on the host (LabHostState.productInstalled); an
 * uninstall (/x) or repair (/f) of a product that is not there ends in 1605 (ERROR_UNKNOWN_PRODUCT).
 * msi-1618 comes first (msiexec cannot even take the execution mutex); already-installed (1638, another
 * version of the product) concerns only /i — /x and /f act on the installed product.
 */
export function msiexecCodeFor(profile: LabProfile, action: PushAction = 'install', installed = profile !== 'not-installed'): number {
  if (profile === 'msi-1618') return 1618; // ERROR_INSTALL_ALREADY_RUNNING
  if (action !== 'install' && !installed) return 1605; // ERROR_UNKNOWN_PRODUCT
  if (profile === 'already-installed' && action !== 'install') return 0;
  switch (profile) {
    case 'msi-1603':
      return 1603; // ERROR_INSTALL_FAILURE
    case 'reboot-required':
    case 'never-back':
      return 3010; // ERROR_SUCCESS_REBOOT_REQUIRED
    case 'already-installed':
      return 1638; // ERROR_PRODUCT_VERSION
    default:
      return 0;
  }
}

/** The agent's result for msiexec's code (agent/README.md): 0, or 100000 + N. */
export const agentCodeFor = (msiexecCode: number) => (msiexecCode === 0 ? 0 : 100000 + msiexecCode);

export interface MsiLogInput {
  readonly computerName: string;
  readonly productName: string;
  readonly msiPath: string;
  readonly parameters: string;
  readonly code: number;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly runAsUser: string;
  /** install (default), uninstall or repair. */
  readonly action?: PushAction;
}

const two = (n: number) => String(n).padStart(2, '0');
const clock = (d: Date, ms = true) => `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}${ms ? `:${String(d.getMilliseconds()).padStart(3, '0')}` : ''}`;
const day = (d: Date) => `${two(d.getMonth() + 1)}/${two(d.getDate())}/${d.getFullYear()}`;

function guid(seed: string): string {
  const h = crypto.createHash('sha256').update(seed).digest('hex').toUpperCase();
  return `{${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}}`;
}

const ACTIONS = [
  'INSTALL', 'FindRelatedProducts', 'AppSearch', 'LaunchConditions', 'ValidateProductID', 'CostInitialize', 'FileCost', 'CostFinalize',
  'InstallValidate', 'InstallInitialize', 'ProcessComponents', 'UnpublishFeatures', 'RemoveRegistryValues', 'RemoveFiles', 'InstallFiles',
  'WriteRegistryValues', 'RegisterUser', 'RegisterProduct', 'PublishFeatures', 'PublishProduct', 'InstallFinalize',
];

/** What every part of one log shares: the input, its clock, the product's code and the two processes' prefixes. */
interface LogContext {
  readonly input: MsiLogInput;
  readonly t0: Date;
  readonly end: Date;
  /** The time `fraction` of the way through the run. */
  readonly at: (fraction: number) => Date;
  readonly product: string;
  readonly productCode: string;
  readonly client: string;
  readonly server: string;
  /** The run succeeded (0, or a success that needs or started a restart). */
  readonly ok: boolean;
}

/** A Windows Installer verbose log for one install that ended with `code`. */
export function msiVerboseLog(input: MsiLogInput): string {
  const t0 = input.startedAt;
  const product = input.productName;
  const c: LogContext = {
    input,
    t0,
    end: new Date(t0.getTime() + input.durationMs),
    at: (fraction) => new Date(t0.getTime() + Math.round(input.durationMs * fraction)),
    product,
    productCode: guid(`product:${product}`),
    client: `MSI (c) (A4:9C)`,
    server: `MSI (s) (D8:5C)`,
    ok: input.code === 0 || input.code === 3010 || input.code === 1641,
  };
  const lines = clientStartLines(c);
  // 1605 and 1618 end on the client side, before the server starts the install.
  if (input.code === 1605 || input.code === 1618) return [...lines, ...clientFailureLines(c, input.code)].join('\r\n');
  lines.push(...serverStartLines(c));
  if (input.code === 1638) lines.push(...versionConflictLines(c));
  else lines.push(...actionLines(c));
  lines.push(...endLines(c));
  return lines.join('\r\n');
}

/** The log's opening: msiexec's client process starting the engine. */
function clientStartLines({ input, t0, client }: LogContext): string[] {
  return [
    `=== Verbose logging started: ${day(t0)}  ${clock(t0, false)}  Build type: SHIP UNICODE 5.00.10011.00  Calling process: C:\\Windows\\system32\\msiexec.exe ===`,
    `${client} [${clock(t0)}]: Font created.  Charset: Req=0, Ret=0, Font: Req=MS Shell Dlg, Ret=MS Shell Dlg`,
    `${client} [${clock(t0)}]: Resetting cached policy values`,
    `${client} [${clock(t0)}]: Machine policy value 'Debug' is 0`,
    `${client} [${clock(t0)}]: ******* RunEngine:`,
    `           ******* Product: ${input.msiPath}`,
    `           ******* Action: `,
    `           ******* CommandLine: **********`,
    `${client} [${clock(t0)}]: Client-side and UI is none or basic: Running entire install on the server.`,
  ];
}

/** The rest of a log the client ends: 1605 (the product is not installed) or 1618 (another install holds the mutex). */
function clientFailureLines({ at, end, product, client }: LogContext, code: 1605 | 1618): string[] {
  const why =
    code === 1605
      ? [
          `${client} [${clock(at(0.1))}]: Note: 1: 1708 `,
          `${client} [${clock(at(0.1))}]: Product: ${product} -- This action is only valid for products that are currently installed.`,
        ]
      : [
          `${client} [${clock(at(0.1))}]: Grabbed execution mutex.`,
          `${client} [${clock(at(0.5))}]: Failed to grab execution mutex. System error 258.`,
          `${client} [${clock(at(0.5))}]: Another installation is in progress. You must complete that installation before continuing this one.`,
        ];
  return [...why, `${client} [${clock(end)}]: MainEngineThread is returning ${code}`, `=== Verbose logging stopped: ${day(end)}  ${clock(end, false)} ===`, ''];
}

/** The server process taking the package and its command line, up to the INSTALL action. */
function serverStartLines({ input, at, product, productCode, client, server }: LogContext): string[] {
  const action = input.action ?? 'install';
  const properties = action === 'uninstall' ? 'ACTION=INSTALL REMOVE=ALL' : action === 'repair' ? 'ACTION=INSTALL REINSTALL=ALL REINSTALLMODE=vomus' : 'ACTION=INSTALL';
  return [
    `${client} [${clock(at(0.02))}]: Grabbed execution mutex.`,
    `${server} [${clock(at(0.03))}]: Running installation inside multi-package transaction ${input.msiPath}`,
    `${server} [${clock(at(0.03))}]: Original package ==> ${input.msiPath}`,
    `${server} [${clock(at(0.04))}]: Package we're running from ==> C:\\Windows\\Installer\\${crypto.createHash('md5').update(product).digest('hex').slice(0, 6)}.msi`,
    `${server} [${clock(at(0.04))}]: APPCOMPAT: Compatibility mode property overrides found.`,
    `${server} [${clock(at(0.05))}]: Product Code passed to Engine.Initialize:           '${productCode}'`,
    `${server} [${clock(at(0.05))}]: Command Line: ${input.parameters ? `${input.parameters} ` : ''}CURRENTDIRECTORY=C:\\Windows\\system32 CLIENTUILEVEL=3 CLIENTPROCESSID=4260 USERNAME=${input.runAsUser} ${properties}`,
    `${server} [${clock(at(0.06))}]: Doing action: INSTALL`,
  ];
}

/** 1638: FindRelatedProducts finds another version and INSTALL ends there. */
function versionConflictLines({ at, product, productCode, server }: LogContext): string[] {
  return [
    `${server} [${clock(at(0.2))}]: Doing action: FindRelatedProducts`,
    `${server} [${clock(at(0.2))}]: Found product with a different version: ${productCode}`,
    `${server} [${clock(at(0.3))}]: Product: ${product} -- Another version of this product is already installed.  Installation of this version cannot continue.  To configure or remove the existing version of this product, use Add/Remove Programs on the Control Panel.`,
    `Action ended ${clock(at(0.3), false)}: INSTALL. Return value 3.`,
  ];
}

/** Each standard action started and ended in turn; with 1603 a custom action fails in InstallFinalize and INSTALL ends there. */
function actionLines({ input, at, product, server, ok }: LogContext): string[] {
  const lines: string[] = [];
  ACTIONS.slice(1).forEach((action, i) => {
    const when = at(0.06 + (0.9 * (i + 1)) / ACTIONS.length);
    const failed = input.code === 1603 && action === 'InstallFinalize';
    lines.push(`Action start ${clock(when, false)}: ${action}.`);
    if (action === 'InstallFiles') lines.push(`${server} [${clock(when)}]: Executing op: FileCopy(SourceName=${product.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}.exe,DestName=${product}.exe,Attributes=512,FileSize=2480128)`);
    if (failed) {
      lines.push(
        `CustomAction ConfigureProduct returned actual error code 1603 (note this may not be 100% accurate if translation happened inside sandbox)`,
        `${server} [${clock(when)}]: Note: 1: 1722 2: ConfigureProduct 3: C:\\Windows\\Installer\\MSI1F2A.tmp 4: `,
        `Error 1722. There is a problem with this Windows Installer package. A program run as part of the setup did not finish as expected. Contact your support personnel or package vendor.`,
        `Action ended ${clock(when, false)}: ${action}. Return value 3.`,
        `Action ended ${clock(when, false)}: INSTALL. Return value 3.`,
      );
      return;
    }
    if (input.code === 1603 && ACTIONS.indexOf(action) > ACTIONS.indexOf('InstallFinalize')) return;
    lines.push(`Action ended ${clock(when, false)}: ${action}. Return value 1.`);
  });
  if (ok) lines.push(`Action ended ${clock(at(0.97), false)}: INSTALL. Return value 1.`);
  return lines;
}

/** The outcome as the server words it (and a deferred restart for 3010), then both processes returning the code. */
function endLines({ input, at, end, product, client, server, ok }: LogContext): string[] {
  const action = input.action ?? 'install';
  const completed = action === 'uninstall' ? 'Removal completed successfully.' : action === 'repair' ? 'Configuration completed successfully.' : 'Installation completed successfully.';
  const failedText = action === 'uninstall' ? 'Removal failed.' : action === 'repair' ? 'Configuration failed.' : 'Installation failed.';
  const lines: string[] = [];
  if (input.code !== 1638) lines.push(`${server} [${clock(at(0.98))}]: Product: ${product} -- ${ok ? completed : failedText}`);
  lines.push(
    // Windows words it so whatever the outcome; the status carries the result.
    `${server} [${clock(at(0.98))}]: Windows Installer installed the product. Product Name: ${product}. Product Version: 1.0.0. Product Language: 1033. Manufacturer: Push Install Lab. Installation success or error status: ${input.code}.`,
  );
  if (input.code === 3010) {
    lines.push(`${server} [${clock(at(0.99))}]: Windows Installer requires a system restart. Product Name: ${product}. Product Version: 1.0.0. Product Language: 1033. Manufacturer: Push Install Lab. Type of System Restart: 2. Reason for Restart: 1.`);
    lines.push(`${server} [${clock(at(0.99))}]: Product: ${product}. Restart required. The installation or update for the product required a restart for all changes to take effect. The restart was deferred to a later time.`);
  }
  lines.push(
    `${server} [${clock(at(0.99))}]: Cleaning up uninstalled install packages, if any exist`,
    `${server} [${clock(at(0.99))}]: MainEngineThread is returning ${input.code}`,
    `${client} [${clock(end)}]: Decrementing counter to disable shutdown. If counter >= 0, shutdown will be denied.  Counter after decrement: -1`,
    `${client} [${clock(end)}]: MainEngineThread is returning ${input.code}`,
    `=== Verbose logging stopped: ${day(end)}  ${clock(end, false)} ===`,
    '',
  );
  return lines;
}
