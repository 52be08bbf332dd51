// Where a computer's name is connected to. The console resolves names with the system's resolver
// (DNS, hosts file) — except where a test names hosts itself: `PUSHCONSOLE_HOSTS`
// ("dc1.push.test=127.0.204.1,pc2.push.test=127.0.204.2") or setHostOverrides(), so a test's
// Active Directory domain resolves on loopback without touching /etc/hosts or the real DNS. The
// name itself stays what the admin gave: Kerberos asks for `cifs/<that name>`.
let overrides: Map<string, string> | null = null;

function fromEnvironment(): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of (process.env.PUSHCONSOLE_HOSTS ?? '').split(/[,\s]+/).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq > 0) map.set(pair.slice(0, eq).toLowerCase(), pair.slice(eq + 1));
  }
  return map;
}

/** Names → addresses for this process (tests); null restores the environment's. */
export function setHostOverrides(map: Record<string, string> | null): void {
  overrides = map ? new Map(Object.entries(map).map(([k, v]) => [k.toLowerCase(), v])) : null;
}

/** The address to connect to for a host as the admin named it. */
export function connectHost(host: string): string {
  overrides ??= fromEnvironment();
  return overrides.get(host.toLowerCase()) ?? host;
}
