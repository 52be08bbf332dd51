#!/usr/bin/env python3
# Independent proof that the lab speaks the protocols: Debian's python3-impacket — its own SMB2/3
# client, NTLMv2, signing, DCE/RPC and NDR, none of it ours — pushes to a simulated lab host the way
# psexec-style tools do: log on, put the agent and its job file on ADMIN$, then over \pipe\svcctl
# open the SCM, create the service, start it, query it, stop it and delete it, and finally remove
# the files.
#
#   scmr_lifecycle.py '<plan as JSON>'
#
# The plan: {"host", "port", "user", "password", "domain", "dialect": "auto" | "21" | "311",
#            "mkdirs": [ADMIN$ paths], "puts": [{"remote", "local"}],
#            "services": [{"name", "display", "binaryPath", "mode": "finish" | "stop"}],
#            "deletes": [ADMIN$ paths], "rmdirs": [ADMIN$ paths], "timeoutSec": n}
#   mode "finish": start, see RUNNING, wait until the agent stops by itself, then STOP (1062 expected)
#   mode "stop":   start, see RUNNING, STOP at once, wait until STOPPED
#
# Prints one JSON object per line for each step ({"step": …, …}); an impacket error becomes
# {"step": …, "error": …, "code": n} and the script goes on where that makes sense. Exit status 0
# when every step ran, 1 on an unexpected failure, 3 when impacket is not installed.
import json
import sys
import time

try:
    from impacket.dcerpc.v5 import scmr, transport
    from impacket.dcerpc.v5.rpcrt import DCERPCException
    from impacket.smb3structs import SMB2_DIALECT_21, SMB2_DIALECT_311
    from impacket.smbconnection import SMBConnection
except ImportError as import_error:
    sys.stderr.write('python3-impacket is not installed: scripts/setup.sh installs it (%s)\n' % import_error)
    sys.exit(3)

STATE_NAMES = {1: 'STOPPED', 2: 'START_PENDING', 3: 'STOP_PENDING', 4: 'RUNNING'}


def emit(**fields):
    sys.stdout.write(json.dumps(fields, sort_keys=True) + '\n')
    sys.stdout.flush()


def status_of(resp):
    s = resp['lpServiceStatus']
    return {
        'state': STATE_NAMES.get(s['dwCurrentState'], s['dwCurrentState']),
        'win32ExitCode': s['dwWin32ExitCode'],
        'serviceSpecificExitCode': s['dwServiceSpecificExitCode'],
        'controlsAccepted': s['dwControlsAccepted'],
        'serviceType': s['dwServiceType'],
    }


def error_code(error):
    return error.get_error_code() if hasattr(error, 'get_error_code') else None


def expect_error(step, call, **fields):
    """Runs a call that must fail with a Win32 code; reports the code."""
    try:
        call()
    except DCERPCException as error:
        emit(step=step, code=error_code(error), **fields)
        return
    emit(step=step, code=0, unexpected='succeeded', **fields)


def strip(value):
    if isinstance(value, bytes):
        value = value.decode('utf-16-le')
    return value[:-1] if value.endswith('\x00') else value


def wait_for(dce, handle, states, deadline):
    seen = []
    while True:
        status = status_of(scmr.hRQueryServiceStatus(dce, handle))
        if not seen or seen[-1] != status['state']:
            seen.append(status['state'])
        if status['state'] in states or time.time() > deadline:
            return status, seen
        time.sleep(0.05)


def run_service(dce, scm, spec, deadline):
    name = spec['name']
    resp = scmr.hRCreateServiceW(dce, scm, name + '\x00', spec['display'] + '\x00',
                                 lpBinaryPathName=spec['binaryPath'] + '\x00', dwStartType=scmr.SERVICE_DEMAND_START)
    service = resp['lpServiceHandle']
    emit(step='create', service=name)
    expect_error('create-again', lambda: scmr.hRCreateServiceW(dce, scm, name + '\x00', spec['display'] + ' 2\x00',
                                                                lpBinaryPathName=spec['binaryPath'] + '\x00'), service=name)
    config = scmr.hRQueryServiceConfigW(dce, service)['lpServiceConfig']
    emit(step='query-config', service=name, binaryPath=strip(config['lpBinaryPathName']),
         displayName=strip(config['lpDisplayName']), startName=strip(config['lpServiceStartName']),
         startType=config['dwStartType'], serviceType=config['dwServiceType'])
    before = status_of(scmr.hRQueryServiceStatus(dce, service))
    emit(step='query-before-start', service=name, **before)
    scmr.hRStartServiceW(dce, service)
    emit(step='start', service=name)
    expect_error('start-again', lambda: scmr.hRStartServiceW(dce, service), service=name)
    running, seen = wait_for(dce, service, ('RUNNING', 'STOPPED'), deadline)
    emit(step='query-running', service=name, seen=seen, **running)
    if spec['mode'] == 'finish':
        final, seen = wait_for(dce, service, ('STOPPED',), deadline)
        emit(step='query-stopped', service=name, seen=seen, **final)
        expect_error('stop-stopped', lambda: scmr.hRControlService(dce, service, scmr.SERVICE_CONTROL_STOP), service=name)
    else:
        stopping = status_of(scmr.hRControlService(dce, service, scmr.SERVICE_CONTROL_STOP))
        emit(step='stop', service=name, **stopping)
        final, seen = wait_for(dce, service, ('STOPPED',), deadline)
        emit(step='query-stopped', service=name, seen=seen, **final)
    scmr.hRDeleteService(dce, service)
    emit(step='delete', service=name)
    expect_error('delete-again', lambda: scmr.hRDeleteService(dce, service), service=name)
    scmr.hRCloseServiceHandle(dce, service)
    emit(step='close', service=name)
    expect_error('open-deleted', lambda: scmr.hROpenServiceW(dce, scm, name + '\x00'), service=name)


def main():
    plan = json.loads(sys.argv[1])
    deadline = time.time() + plan.get('timeoutSec', 60)
    # "auto" is impacket's own negotiation (SMB1 multi-protocol, then 3.0). impacket 0.10's 3.1.1
    # signs TREE_CONNECT wrongly: Samba 4.17's smbd refuses it with STATUS_ACCESS_DENIED too.
    dialect = {'21': SMB2_DIALECT_21, '311': SMB2_DIALECT_311}.get(plan.get('dialect'))
    conn = SMBConnection(plan['host'], plan['host'], sess_port=plan['port'], preferredDialect=dialect, timeout=15)
    conn.login(plan['user'], plan['password'], plan.get('domain', ''))
    emit(step='login', dialect='0x%04x' % conn.getDialect(), signingRequired=bool(conn.isSigningRequired()))
    for path in plan.get('mkdirs', []):
        conn.createDirectory('ADMIN$', path)
        emit(step='mkdir', path=path)
    for put in plan.get('puts', []):
        with open(put['local'], 'rb') as f:
            conn.putFile('ADMIN$', put['remote'], f.read)
        emit(step='put', path=put['remote'])

    rpc = transport.SMBTransport(plan['host'], plan['port'], r'\svcctl', smb_connection=conn)
    dce = rpc.get_dce_rpc()
    dce.connect()
    dce.bind(scmr.MSRPC_UUID_SCMR)
    emit(step='bind')
    scm = scmr.hROpenSCManagerW(dce)['lpScHandle']
    emit(step='open-scm')
    expect_error('open-missing', lambda: scmr.hROpenServiceW(dce, scm, 'NoSuchService\x00'))
    for spec in plan.get('services', []):
        run_service(dce, scm, spec, deadline)
    scmr.hRCloseServiceHandle(dce, scm)
    emit(step='close-scm')
    dce.disconnect()

    for path in plan.get('deletes', []):
        try:
            conn.deleteFile('ADMIN$', path)
            emit(step='delete-file', path=path)
        except Exception as error:  # a file the agent did not leave is not a failure of the push
            emit(step='delete-file', path=path, error=str(error))
    for path in plan.get('rmdirs', []):
        conn.deleteDirectory('ADMIN$', path)
        emit(step='rmdir', path=path)
    conn.logoff()
    emit(step='done')


if __name__ == '__main__':
    try:
        main()
    except Exception as failure:  # report it as a step, with impacket's code when it has one
        emit(step='failed', error=str(failure), code=error_code(failure), kind=type(failure).__name__)
        sys.exit(1)
