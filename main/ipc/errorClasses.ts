// Every class of error the console reports, with when it arises and what the admin can do about
// it — one table the engine, the IPC errors, the windows and the tests share (docs/ARCHITECTURE.md
// §7 explains each). A ConsoleError's class must be one of these: a new class is added here first.
// The advice here is the default: a failure that knows more (an msiexec code, a step) says more.
export const ERROR_CLASSES = {
  // Reaching and logging on
  'name-not-resolved': { when: 'The computer\'s name does not resolve.', advice: 'Check the name, or add the computer by its IP address; check DNS.' },
  offline: { when: 'The computer did not answer on its SMB port within the connect timeout.', advice: 'Check that the computer is on and that its firewall allows "File and Printer Sharing (SMB-In)" on TCP 445.' },
  'port-blocked': { when: 'The computer refused a connection to its SMB port.', advice: 'Start the Server service on the computer, or allow "File and Printer Sharing (SMB-In)" in its firewall.' },
  'connection-lost': { when: 'The connection closed or was reset during the push.', advice: 'Retry; if it repeats, check the network path to the computer.' },
  timeout: { when: 'A request, or the installation, did not finish within its bound.', advice: 'Check the computer\'s load and the network; raise the install timeout in Configuration if the package is slow.' },
  'smb-negotiate': { when: 'No SMB dialect or cipher both sides accept.', advice: 'Enable SMB 2/3 (and AES encryption where it is required) on the computer.' },
  'smb-protocol': { when: 'A malformed SMB message or an unexpected status.', advice: 'Check that the computer runs Windows or a compatible SMB server; if it does, report it.' },
  'smb-integrity': { when: 'A signature or encryption check failed: something changed the traffic.', advice: 'Something changes the traffic between the console and the computer; check the network path.' },
  'smb-session': { when: 'The SMB session ended or the server is short of resources.', advice: 'Retry later.' },
  'logon-failure': { when: 'The account, domain or password was refused.', advice: 'Check the user, domain and password (Set Credentials…), and that the account is not locked or disabled.' },
  'kdc-unreachable': { when: 'No Kerberos KDC (domain controller) of the realm answered on TCP 88.', advice: 'Check the domain controllers\' addresses (Configuration → Authentication → KDC addresses, or DNS SRV _kerberos._tcp.<realm>) and that TCP 88 is open to them.' },
  'kerberos-principal-unknown': { when: 'The domain controller does not know the account (KDC_ERR_C_PRINCIPAL_UNKNOWN).', advice: 'Check the user name and its domain (user@domain.fqdn, or DOMAIN\\user with the domain\'s realm set in Configuration).' },
  'kerberos-no-spn': { when: 'The domain has no service principal cifs/<name> for the computer as it was named, or it was named by address (KDC_ERR_S_PRINCIPAL_UNKNOWN).', advice: 'Push by the computer\'s DNS name (pc1.corp.example.com), or the computer is not in the domain; with Authentication "negotiate" an address logs on with NTLM.' },
  'clock-skew': { when: 'The console\'s clock and the domain controller\'s differ by more than Kerberos allows (KRB_AP_ERR_SKEW, 5 minutes by default).', advice: 'Set the console computer\'s clock right (sync it with the domain\'s time source), then retry.' },
  'kerberos-etype': { when: 'The domain controller and the console share no Kerberos encryption type (KDC_ERR_ETYPE_NOSUPP).', advice: 'Enable AES for the account (msDS-SupportedEncryptionTypes, "This account supports Kerberos AES 256/128 bit encryption") and change its password once so AES keys exist.' },
  'kerberos-protocol': { when: 'A malformed or unverifiable Kerberos message, or a Kerberos error with no class of its own.', advice: 'Check that the KDC is an Active Directory domain controller; the step log has the Kerberos error; report it if it repeats.' },
  'ntlm-blocked': { when: 'NTLM was refused: the computer blocks incoming NTLM (STATUS_NTLM_BLOCKED), or Authentication is "kerberos-only" and Kerberos could not be used.', advice: 'Push by the computer\'s DNS name with a domain credential that keeps its password, so Kerberos is used.' },
  'access-denied': { when: 'The account is not allowed (ADMIN$, the Service Control Manager).', advice: 'Use an administrator of the computer; a local account other than the built-in Administrator needs LocalAccountTokenFilterPolicy (docs/WINDOWS-TARGETS.md §4).' },
  'admin-share-missing': { when: 'The computer has no ADMIN$ share.', advice: 'Restore the administrative shares (AutoShareWks/AutoShareServer) and restart the Server service.' },
  'copy-blocked': { when: 'The copy to ADMIN$ was blocked (antivirus, sharing, disk full).', advice: 'Allow the agent in the computer\'s antivirus, free disk space, then retry.' },
  'target-disk-full': { when: 'The computer\'s system drive has no room for the agent or the package (STATUS_DISK_FULL during the copy).', advice: 'Free space on the computer\'s system drive (the push copies to %SystemRoot%\\PushInstall), then retry.' },
  'result-missing': { when: 'With the SMB transport, the agent wrote no result file within the install bound.', advice: 'Check the computer for a stuck msiexec and the agent\'s log; raise the install timeout in Configuration if the package is slow.' },
  'restart-refused': { when: 'Windows refused the restart the reboot policy asked for (a shutdown already pending, 1115; no privilege).', advice: 'Restart the computer later: Restart Computers… in Installation History.' },
  'restart-not-back': { when: 'The computer went down for its restart and did not answer again within the bound (30 min).', advice: 'Check the computer: it may be stuck in updates, at a BitLocker or boot prompt, or off.' },
  'restart-not-done': { when: 'The computer did not restart by the latest time its agent scheduled (the restart was cancelled on it?).', advice: 'Restart Computers… in Installation History to ask again, or restart it by other means.' },
  'copy-failed': { when: 'The local file changed while it was copied.', advice: 'Do not change the package\'s files during a push; retry.' },
  'not-found': { when: 'A file, folder, pipe or record is not there.', advice: 'Refresh the window; the item may have been removed meanwhile.' },
  // The Service Control Manager
  'pipe-busy': { when: 'Every instance of the computer\'s \\pipe\\svcctl was busy (STATUS_PIPE_BUSY), even after a few retries.', advice: 'Another tool (a management agent, PsExec, a script) holds the Service Control Manager\'s pipe; retry in a minute, or restart the computer\'s Server service.' },
  'rpc-bind': { when: 'The Service Control Manager interface refused the bind.', advice: 'Check that the computer is Windows and that its Server service runs.' },
  'rpc-protocol': { when: 'A malformed RPC answer.', advice: 'Report it, with the task\'s logs.' },
  'rpc-fault': { when: 'An RPC fault not mapped to a step.', advice: 'Check the computer\'s Windows version; report it with the task\'s logs.' },
  'service-create': { when: 'The agent\'s service could not be created.', advice: 'Remove Leftovers, close services.msc on the computer, or restart the computer, then retry.' },
  'service-start': { when: 'The agent\'s service could not be started, or stopped at once.', advice: 'Check the computer\'s System event log (Service Control Manager events 7000, 7009) and its antivirus.' },
  cleanup: { when: 'The service or files could not be removed after the push.', advice: 'The service or files are still on the computer: use Remove Leftovers later.' },
  // The agent and msiexec
  'agent-no-callback': { when: 'The agent did not call back to the console.', advice: 'Allow inbound TCP 2224 on the console\'s firewall and outbound on the computer\'s, or set the callback address in Configuration.' },
  'agent-certificate': { when: 'The agent saw a certificate that is not the console\'s.', advice: 'Something between the computer and the console intercepts TLS (a proxy or TLS inspection); exempt TCP 2224 from it.' },
  'agent-token': { when: 'The console refused the agent\'s token.', advice: 'Retry the push; the token may have expired while the computer was busy.' },
  'agent-job': { when: 'The agent could not read its job file.', advice: 'The job file was damaged or removed (antivirus?); retry the push.' },
  'agent-internal': { when: 'The agent failed in a way it has no code for.', advice: 'Retry; if it repeats, send the task\'s logs to support.' },
  integrity: { when: 'The package the agent received is not the one sent.', advice: 'Retry; if it repeats, something alters the download, or the package file changed on the console.' },
  download: { when: 'The agent\'s download failed after it connected.', advice: 'Check the computer\'s free disk space and the network, then retry.' },
  'already-done': { when: 'This run already ran on the computer.', advice: 'Use Redeploy to install again.' },
  'msi-launch': { when: 'msiexec could not start under the account.', advice: 'Check that the account may log on as a batch job on the computer, or install as SYSTEM.' },
  'msi-failed': { when: 'msiexec ended with an error code.', advice: 'Open the MSI log (View Selected Logs) to see why.' },
  'not-installed': { when: 'A repair found the product not installed.', advice: 'Install it first (a task with the action Install and this package), then repair if needed.' },
  // The engine and the console
  cancelled: { when: 'The push was cancelled.', advice: 'Retry when ready.' },
  interrupted: { when: 'The console stopped while the push ran.', advice: 'Use Retry Failed; if the computer\'s credentials are gone, Set Credentials… so its leftovers can be removed.' },
  'credentials-missing': { when: 'The target\'s credentials were deleted or are not held since a restart.', advice: 'Use Set Credentials… on the task (Installation History) or on the computer (Computers).' },
  'credentials-hash-only': { when: 'Only the NT hash is kept where installing as the account needs the password.', advice: 'Use a credential that keeps the password, or install as SYSTEM.' },
  'credentials-storage': { when: 'The keychain refused to store or delete a secret.', advice: 'Unlock the keychain (or Windows Credential Manager), or set the credentials without remembering them.' },
  package: { when: 'The package is gone, changed, or a file of the push cannot be read.', advice: 'Recreate the package from the original .msi; for a missing agent, run npm run build:agent.' },
  'package-in-use': { when: 'A task still uses the package.', advice: 'Duplicate the package and change the copy instead.' },
  'package-server': { when: 'The package server is not running.', advice: 'Free TCP 2224 on the console, or choose another package server port in Configuration.' },
  'config-xml': { when: 'The configuration XML is not well-formed or too large.', advice: 'Fix the XML at the line and column shown.' },
  'invalid-parameters': { when: 'The msiexec parameters are not PROPERTY=value pairs.', advice: 'Give only PROPERTY=value pairs, without msiexec switches or line breaks.' },
  'msi-format': { when: 'The file is not an MSI, or is damaged.', advice: 'Choose a real Windows Installer (.msi) file.' },
  'job-file': { when: 'The console could not write a valid job file.', advice: 'This is a bug in the console. Export the logs and report it.' },
  task: { when: 'The task has no computers or does not exist.', advice: 'Pick a task that exists and has computers.' },
  'target-running': { when: 'Remove Leftovers on a push that is still running.', advice: 'Wait until the push ends, or cancel it first.' },
  'invalid-computer': { when: 'Not a computer name or address.', advice: 'Enter a computer name, an IPv4 or IPv6 address, optionally with :port.' },
  'invalid-range': { when: 'Not an address range or CIDR block the console accepts.', advice: 'Enter a range such as 10.0.0.1-10.0.0.50 or a CIDR block such as 10.0.0.0/24.' },
  'invalid-port': { when: 'Not a port from 1 to 65535.', advice: 'Enter 445 (SMB), or a port from 1 to 65535.' },
  'import-too-large': { when: 'More lines or bytes than one import takes.', advice: 'Split the list into smaller imports.' },
  file: { when: 'The path is not a readable file.', advice: 'Choose a readable file.' },
  directory: { when: 'The directory search failed.', advice: 'Check the directory URL, port, bind account and base DN.' },
  'directory-logon': { when: 'The directory refused the bind account.', advice: 'Check the bind account\'s name and password.' },
  'directory-base': { when: 'The directory has no such base or OU.', advice: 'Check the base DN or OU.' },
  'directory-unreachable': { when: 'The directory server did not answer.', advice: 'Check the directory server\'s name and port, and that it is reachable from the console.' },
  'directory-tls': { when: 'The directory\'s certificate was refused.', advice: 'Trust the directory\'s CA certificate, or check the server name in the URL.' },
  'directory-timeout': { when: 'The directory did not answer in time.', advice: 'Narrow the search (base DN or OU), or retry when the directory is less busy.' },
  'directory-closed': { when: 'The directory closed the connection.', advice: 'Retry; check the directory server\'s logs.' },
  'directory-protocol': { when: 'A malformed LDAP answer.', advice: 'Check that the server is an LDAP directory; report it.' },
  'directory-too-large': { when: 'The directory returned more than one search takes.', advice: 'Narrow the search (base DN or OU).' },
  // LAPS: the computer's own local Administrator password, read from Active Directory
  'laps-not-found': { when: 'No computer object in the directory matched the computer\'s DNS or NetBIOS name.', advice: 'Check that the computer is joined to the domain and that the base DN covers its OU; a computer added by address is looked up by its NetBIOS name.' },
  'laps-ambiguous': { when: 'More than one computer object matched the computer\'s name.', advice: 'Add the computer by its full DNS name, or remove the stale computer object from the directory.' },
  'laps-missing': { when: 'The computer object has no LAPS password: LAPS does not manage this computer.', advice: 'Deploy Windows LAPS (or legacy LAPS) to the computer and let it back up its password to Active Directory, or push with a credential instead.' },
  'laps-denied': { when: 'The computer has a LAPS password, but the reading account may not read it.', advice: 'Grant the reading account the right to read LAPS passwords on the computer\'s OU (Set-LapsADReadPasswordPermission, or Set-AdmPwdReadPasswordPermission for legacy LAPS).' },
  'laps-encrypted': { when: 'The computer\'s Windows LAPS password is stored encrypted (msLAPS-EncryptedPassword).', advice: 'Let the reading account read the cleartext attribute (Windows LAPS without encryption), or use legacy LAPS; decrypting msLAPS-EncryptedPassword needs a domain controller\'s MS-GKDI key service, which this console does not speak yet.' },
  'laps-malformed': { when: 'The computer\'s LAPS attribute is not in the format LAPS writes.', advice: 'Have LAPS write a new password on the computer (Reset-LapsPassword, or expire the current one), then retry; report it if it repeats.' },
  export: { when: 'The export is larger than a ZIP can hold.', advice: 'Export fewer targets at once.' },
  'ipc-sender': { when: 'A call from a page that is not the console\'s.', advice: 'Open the console\'s own window; restart the console if it repeats.' },
  'ipc-contract': { when: 'A channel or event the contract does not declare.', advice: 'Restart the console; if it repeats, report it.' },
  'invalid-request': { when: 'A request the contract refuses.', advice: 'Check the values entered.' },
  'bridge-closed': { when: 'The window lost its connection to the console.', advice: 'Check that the console still runs, then reload the page.' },
  'bridge-message': { when: 'A bridge message that is not part of the protocol.', advice: 'Open the console from the address it printed at start-up.' },
  'bridge-token': { when: 'A bridge message without this launch\'s token.', advice: 'Open the console from the address it printed at start-up.' },
  // The Push Install Server: its accounts and their roles (main/serverMode/)
  'logon-failed': { when: 'The Push Install Server refused the account name or password (or the account is disabled).', advice: 'Check the account name and password; an administrator of the server can set a new password or enable the account.' },
  'logon-throttled': { when: 'Too many failed logons for this account or from this address: the server refuses logons for a while.', advice: 'Wait the time shown, then log on with the right password; an administrator of the server can set a new one.' },
  forbidden: { when: 'The account\'s role on the Push Install Server does not allow this (a viewer changing something, an operator changing settings or accounts).', advice: 'Ask an administrator of the server to do it, or to give your account a role that may.' },
  'server-unreachable': { when: 'The Push Install Server could not be reached, or what answered is not one.', advice: 'Check the address and port, that the server is running, and that a firewall lets you reach it.' },
  'server-certificate-changed': { when: 'The Push Install Server presented a certificate other than the one pinned at the first connection.', advice: 'If the server was reinstalled or its certificate renewed, compare the fingerprint it prints at start and pin the new one; otherwise something is between you and the server.' },
  'server-standby': { when: 'The Push Install Server answering is on standby: another server sharing its database runs the pushes.', advice: 'Connect to the server that runs the pushes to start, cancel or retry tasks; this one takes over if that one stops.' },
  'needs-server': { when: 'The audit trail was asked of a console that is not connected to a Push Install Server (the server keeps it).', advice: 'Connect to the Push Install Server as an administrator (File → Connect to Server…), then open the Audit Trail.' },
  'local-only': { when: 'A Push Install Server was asked to connect to a server, disconnect or say its connection: that is a console\'s own action.', advice: 'Connect from the console on your own computer (File → Connect to Server…), not through a server.' },
  internal: { when: 'A bug in the console.', advice: 'This is a bug in the console. Export the logs and report it.' },
} as const satisfies Record<string, { readonly when: string; readonly advice: string }>;

export type ErrorClass = keyof typeof ERROR_CLASSES;

export function isErrorClass(value: string): value is ErrorClass {
  return Object.prototype.hasOwnProperty.call(ERROR_CLASSES, value);
}

/** What the admin can do about a failure of this class, when nothing more specific is known. */
export function defaultAdvice(errorClass: ErrorClass): string {
  return ERROR_CLASSES[errorClass].advice;
}
