// A console's data folder at enterprise scale, written straight into its SQLite database through
// the store's repos before the console starts (a push of 50 000 would take far too long): `count`
// computers PC-1…PC-<count> (10.x.y.z addresses, 20 sites as groups) and one finished task to all
// of them — every tenth failed port-blocked, every tenth access-denied, every tenth succeeded with
// a restart required, the rest succeeded — ended an hour ago.
import { openDatabase } from '../../main/store/database.js';
import { ComputersRepo } from '../../main/store/computersRepo.js';
import { TasksRepo } from '../../main/store/tasksRepo.js';

export const SCALE_TASK = 'Scale: every computer';

export function seedScale(dataDir: string, count: number): { taskId: number; seconds: number } {
  const t0 = Date.now();
  const db = openDatabase({ location: dataDir });
  try {
    const computers = new ComputersRepo(db);
    const { added } = computers.addMany(
      Array.from({ length: count }, (_, k) => {
        const i = k + 1;
        return { name: `PC-${i}`, address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, groupName: `Site ${String(i % 20).padStart(2, '0')}` };
      }),
    );
    db.prepare(`UPDATE computers SET domain = 'corp.example', os = CASE WHEN id % 3 = 0 THEN 'Windows Server 2022' ELSE 'Windows 11 Pro' END`).run();
    const tasks = new TasksRepo(db);
    const { taskId } = tasks.create({
      name: SCALE_TASK,
      packageId: null,
      scheduledAt: null,
      options: { runAs: 'admin', action: 'install', transport: 'smb' },
      targets: added.map((c) => ({ computerId: c.id, computerName: c.name, address: c.address })),
    });
    const started = new Date(Date.now() - 3_600_000).toISOString();
    db.prepare(
      `UPDATE task_targets SET state = 'done', attempts = 1, transport = 'smb', auth_mechanism = 'ntlm', progress = NULL,
              outcome = CASE id % 10 WHEN 0 THEN 'failed' WHEN 1 THEN 'failed' WHEN 2 THEN 'succeeded-reboot-required' ELSE 'succeeded' END,
              reboot_required = CASE id % 10 WHEN 2 THEN 1 ELSE 0 END,
              error_class = CASE id % 10 WHEN 0 THEN 'port-blocked' WHEN 1 THEN 'access-denied' ELSE NULL END,
              error_code = CASE id % 10 WHEN 0 THEN 'ECONNREFUSED' WHEN 1 THEN 'STATUS_ACCESS_DENIED' ELSE NULL END,
              error_message = CASE id % 10 WHEN 0 THEN 'TCP 445 refused the connection.' WHEN 1 THEN 'TREE_CONNECT to ADMIN$ was refused.' ELSE NULL END,
              exit_code = CASE id % 10 WHEN 0 THEN NULL WHEN 1 THEN NULL WHEN 2 THEN 3010 ELSE 0 END,
              started_at = strftime('%Y-%m-%dT%H:%M:%fZ', ?, '+' || (id % 1800) || ' seconds'),
              finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', ?, '+' || (id % 1800 + 20 + id % 40) || ' seconds')
        WHERE task_id = ?`,
    ).run(started, started, taskId);
    db.prepare(`UPDATE tasks SET status = 'finished', started_at = ?, finished_at = ? WHERE id = ?`).run(started, new Date().toISOString(), taskId);
    return { taskId, seconds: (Date.now() - t0) / 1000 };
  } finally {
    db.close();
  }
}
