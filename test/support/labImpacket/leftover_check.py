#!/usr/bin/env python3
# Looks at computers from outside the console, with Debian's python3-impacket (its own SMB2/3
# client, NTLMv2 and MS-SCMR, none of it ours): what is under ADMIN$\PushInstall, and whether
# each named service exists. Crash tests use it to count what a push left behind.
#
#   leftover_check.py '<plan as JSON>'
#
# The plan: {"user", "password", "domain", "hosts": [{"host", "port", "services": [names]}]}
# Prints one JSON object per host: {"host", "files": [paths under ADMIN$, folders end in \],
# "services": {name: "RUNNING" | "STOPPED" | … | "absent"}} or {"host", "error"}. Exit status 0
# when every host answered, 1 otherwise, 3 when impacket is not installed.
import json
import sys

try:
    from impacket.dcerpc.v5 import scmr, transport
    from impacket.dcerpc.v5.rpcrt import DCERPCException
    from impacket.smbconnection import SMBConnection, SessionError
except ImportError as import_error:
    sys.stderr.write('python3-impacket is not installed: scripts/setup.sh installs it (%s)\n' % import_error)
    sys.exit(3)

STATE_NAMES = {1: 'STOPPED', 2: 'START_PENDING', 3: 'STOP_PENDING', 4: 'RUNNING'}
ERROR_SERVICE_DOES_NOT_EXIST = 1060


def walk(conn, folder):
    """Every file and folder under ADMIN$\\<folder>, depth first; [] when the folder is not there."""
    found = []
    try:
        entries = conn.listPath('ADMIN$', folder + '\\*')
    except SessionError:
        return found
    for entry in entries:
        name = entry.get_longname()
        if name in ('.', '..'):
            continue
        path = folder + '\\' + name
        if entry.is_directory():
            found.append(path + '\\')
            found.extend(walk(conn, path))
        else:
            found.append(path)
    return found


def check(plan, target):
    conn = SMBConnection(target['host'], target['host'], sess_port=target['port'], timeout=15)
    conn.login(plan['user'], plan['password'], plan.get('domain', ''))
    try:
        files = []
        try:
            conn.listPath('ADMIN$', 'PushInstall')
            files.append('PushInstall\\')
            files.extend(walk(conn, 'PushInstall'))
        except SessionError:
            pass
        services = {}
        if target.get('services'):
            rpc = transport.SMBTransport(target['host'], target['port'], r'\svcctl', smb_connection=conn)
            dce = rpc.get_dce_rpc()
            dce.connect()
            dce.bind(scmr.MSRPC_UUID_SCMR)
            scm = scmr.hROpenSCManagerW(dce)['lpScHandle']
            for name in target['services']:
                try:
                    handle = scmr.hROpenServiceW(dce, scm, name)['lpServiceHandle']
                    status = scmr.hRQueryServiceStatus(dce, handle)['lpServiceStatus']
                    services[name] = STATE_NAMES.get(status['dwCurrentState'], str(status['dwCurrentState']))
                    scmr.hRCloseServiceHandle(dce, handle)
                except DCERPCException as error:
                    code = error.get_error_code() if hasattr(error, 'get_error_code') else None
                    services[name] = 'absent' if code == ERROR_SERVICE_DOES_NOT_EXIST else 'error %s' % code
            dce.disconnect()
        return {'host': target['host'], 'files': files, 'services': services}
    finally:
        conn.logoff()


def main():
    plan = json.loads(sys.argv[1])
    ok = True
    for target in plan['hosts']:
        try:
            result = check(plan, target)
        except Exception as error:  # one host's failure is reported, the others are still checked
            ok = False
            result = {'host': target['host'], 'error': str(error)}
        sys.stdout.write(json.dumps(result, sort_keys=True) + '\n')
        sys.stdout.flush()
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
