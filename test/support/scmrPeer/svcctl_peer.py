#!/usr/bin/env python3
# An MS-SCMR (svcctl) test peer built on Debian's python3-impacket: impacket's NDR and PDU classes
# encode and decode every byte here, so the project's own DCE/RPC code is tested against code that
# is not ours. It sits behind a real Samba smbd (docs/TESTING.md §4): with `rpc start on demand
# helpers = no`, smbd hands each open of \pipe\svcctl to the unix socket <ncalrpc dir>/np/svcctl,
# after Samba's named_pipe_auth ("NPAM") handshake; from then on every message is framed by a 2-byte
# little-endian length. One thread per pipe open.
#
#   svcctl_peer.py --socket <ncalrpc dir>/np/svcctl --config peer.json --journal journal.jsonl
#                  [--state state.json] [--lsarpc-socket <ncalrpc dir>/np/lsarpc]
#                  [--domain-name NAME]
#
# --lsarpc-socket also serves a minimal \pipe\lsarpc (LsarOpenPolicy/2, LsarQueryInformationPolicy/2
# for the primary and account domain, LsarClose): Samba's `net rpc` asks lsarpc for the domain SID
# before it opens any other pipe, and `rpc start on demand helpers = no` leaves nothing else to ask.
#
# The config file (JSON, re-read on every call, so a test can change it while the peer runs):
#   startCommand    argv run by RStartServiceW (env PIC_SERVICE_NAME, PIC_DISPLAY_NAME,
#                   PIC_BINARY_PATH, PIC_ARGS = JSON array of the StartService argv). The service
#                   is RUNNING while it lives, then STOPPED with its exit status. Without it a
#                   started service is RUNNING until it is stopped.
#   deny            "open-scmanager" | "create-service" | "open-service" | "start-service" |
#                   "control-service" | "delete-service", or a list of them: ERROR_ACCESS_DENIED (5)
#   createResult    a Win32 code RCreateServiceW returns instead of creating (e.g. 1073, 1072)
#   startResult     a Win32 code RStartServiceW returns instead of starting (e.g. 1053, 2)
#   startPendingMs  how long a started service stays START_PENDING before RUNNING (default 0)
#   stopTimeoutMs   SIGTERM-to-SIGKILL grace for a stopped service's process group (default 3000)
#   maxFragment     the peer's own max_xmit_frag / max_recv_frag offered at bind (default 4280,
#                   at least 32; below 1432, the MS-RPCE minimum, Samba's source4 client refuses
#                   the bind_ack, its source3 client (`net`) does not)
#
# Behaviour follows MS-SCMR as Windows implements it: 1073 for a duplicate name, 1056 for starting a
# running service, 1062 for stopping a stopped one, 1060 for an unknown name; RDeleteService marks
# the record (Start becomes DISABLED) and it goes when its last handle is closed and it is stopped;
# meanwhile ROpenServiceW still opens it (MS-SCMR lists no 1072 there) while RCreateServiceW,
# RStartServiceW and RDeleteService answer 1072. Handles left open when a pipe closes are run down.
# Beyond the eight opnums a push installer uses, REnumServicesStatusW (14) and RQueryServiceConfigW
# (17) are served so that `net rpc service list/status` work; any other opnum faults with
# nca_s_op_rng_error, a stub impacket cannot decode with nca_s_fault_ndr.
#
# Every PDU it handles becomes one JSON line in the journal (see JOURNAL below); --state is
# rewritten after every change with the service table. Prints "ready" once it listens; SIGTERM
# (or its parent dying) ends it cleanly: service processes are stopped, its sockets removed.
import argparse
import ctypes
import datetime
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
import uuid

try:
    from impacket.dcerpc.v5 import lsad, rpcrt, scmr
    from impacket.dcerpc.v5.dtypes import DWORD, LPDWORD, NULL, PUSHORT
    from impacket.dcerpc.v5.ndr import NDRCALL
    from impacket.uuid import bin_to_uuidtup, uuidtup_to_bin
except ImportError as import_error:  # the TypeScript side turns exit code 3 into its own message
    sys.stderr.write('python3-impacket is not installed: scripts/setup.sh installs it (%s)\n' % import_error)
    sys.exit(3)

# ------------------------------------------------------------------------------------------------
# Constants

NDR20 = uuidtup_to_bin(('8a885d04-1ceb-11c9-9fe8-08002b104860', '2.0'))
SVCCTL_SYNTAX = uuidtup_to_bin(('367ABB81-9844-35F1-AD32-98F038001003', '2.0'))
LSARPC_SYNTAX = uuidtup_to_bin(('12345778-1234-ABCD-EF00-0123456789AB', '0.0'))
# Bind time feature negotiation (MS-RPCE 3.3.1.5.3), offered as a transfer syntax:
# 6cb71c2c-9812-4540-<feature bitmask>-000000000000 v1.0.
BTFN_PREFIX = uuidtup_to_bin(('6cb71c2c-9812-4540-0000-000000000000', '1.0'))[:8]

PFC_FIRST_FRAG = rpcrt.PFC_FIRST_FRAG
PFC_LAST_FRAG = rpcrt.PFC_LAST_FRAG
PFC_DID_NOT_EXECUTE = rpcrt.PFC_DID_NOT_EXECUTE
PFC_OBJECT_UUID = rpcrt.PFC_OBJECT_UUID

# Fault statuses. nca_s_op_rng_error / nca_unk_if / nca_proto_error: C706 Appendix N.
# nca_s_fault_ndr = 0x000006F7: the MS-RPCE value for a stub the server cannot unmarshal (Windows
# sends RPC_X_BAD_STUB_DATA, [MS-ERREF] 0x6F7, as the fault status; Samba's DCERPC_NCA_S_FAULT_NDR
# has the same value).
NCA_S_OP_RNG_ERROR = 0x1C010002
NCA_S_UNK_IF = 0x1C010003
NCA_S_PROTO_ERROR = 0x1C01000B
NCA_S_FAULT_NDR = 0x000006F7
NCA_S_FAULT_UNSPEC = 0x1C000012  # C706: the peer itself failed (a bug here); the journal has the traceback
FAULT_NAMES = {
    NCA_S_FAULT_UNSPEC: 'nca_s_fault_unspec',
    NCA_S_OP_RNG_ERROR: 'nca_s_op_rng_error',
    NCA_S_UNK_IF: 'nca_s_unk_if',
    NCA_S_PROTO_ERROR: 'nca_s_proto_error',
    NCA_S_FAULT_NDR: 'nca_s_fault_ndr',
}

# Bind / bind_nak constants (C706 12.6.3.1, MS-RPCE 2.2.2.4-2.2.2.5)
RESULT_ACCEPTANCE, RESULT_USER_REJECTION, RESULT_PROVIDER_REJECTION, RESULT_NEGOTIATE_ACK = 0, 1, 2, 3
REASON_NOT_SPECIFIED, REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED, REASON_TRANSFER_SYNTAXES_NOT_SUPPORTED = 0, 1, 2
BIND_NAK_REASON_NOT_SPECIFIED, BIND_NAK_PROTOCOL_VERSION_NOT_SUPPORTED = 0, 4
RESULT_NAMES = {0: 'acceptance', 1: 'user_rejection', 2: 'provider_rejection', 3: 'negotiate_ack'}

DEFAULT_MAX_FRAGMENT = 4280
# A fragment must carry the 24-byte request/response header and 8 bytes of stub. (MS-RPCE puts the
# floor for negotiated sizes at 1432 and Samba's source4 client refuses a smaller bind_ack; the
# config's maxFragment may go lower anyway, to force many fragments on a client that accepts it.)
SMALLEST_FRAGMENT = 32
MAX_REQUEST_STUB = 4 * 1024 * 1024
NPAM_MAGIC = b'NPAM'
FILE_TYPE_MESSAGE_MODE_PIPE = 2
NPAM_DEVICE_STATE = 0x05FF
NPAM_ALLOCATION_SIZE = 4096

# Win32 errors ([MS-ERREF] 2.2)
ERROR_SUCCESS = 0
ERROR_FILE_NOT_FOUND = 2
ERROR_ACCESS_DENIED = 5
ERROR_INVALID_HANDLE = 6
ERROR_INVALID_PARAMETER = 87
ERROR_INSUFFICIENT_BUFFER = 122
ERROR_INVALID_NAME = 123
ERROR_MORE_DATA = 234
ERROR_INVALID_SERVICE_CONTROL = 1052
ERROR_SERVICE_REQUEST_TIMEOUT = 1053
ERROR_SERVICE_ALREADY_RUNNING = 1056
ERROR_SERVICE_DISABLED = 1058
ERROR_SERVICE_DOES_NOT_EXIST = 1060
ERROR_SERVICE_CANNOT_ACCEPT_CTRL = 1061
ERROR_SERVICE_NOT_ACTIVE = 1062
ERROR_DATABASE_DOES_NOT_EXIST = 1065
ERROR_SERVICE_SPECIFIC_ERROR = 1066
ERROR_PROCESS_ABORTED = 1067
ERROR_SERVICE_MARKED_FOR_DELETE = 1072
ERROR_SERVICE_EXISTS = 1073
ERROR_SERVICE_NEVER_STARTED = 1077
ERROR_DUPLICATE_SERVICE_NAME = 1078
WIN32_NAMES = {
    0: 'ERROR_SUCCESS', 2: 'ERROR_FILE_NOT_FOUND', 3: 'ERROR_PATH_NOT_FOUND', 5: 'ERROR_ACCESS_DENIED',
    6: 'ERROR_INVALID_HANDLE', 87: 'ERROR_INVALID_PARAMETER', 122: 'ERROR_INSUFFICIENT_BUFFER',
    123: 'ERROR_INVALID_NAME', 193: 'ERROR_BAD_EXE_FORMAT', 225: 'ERROR_VIRUS_INFECTED', 234: 'ERROR_MORE_DATA',
    1051: 'ERROR_DEPENDENT_SERVICES_RUNNING', 1052: 'ERROR_INVALID_SERVICE_CONTROL',
    1053: 'ERROR_SERVICE_REQUEST_TIMEOUT', 1055: 'ERROR_SERVICE_DATABASE_LOCKED',
    1056: 'ERROR_SERVICE_ALREADY_RUNNING', 1057: 'ERROR_INVALID_SERVICE_ACCOUNT', 1058: 'ERROR_SERVICE_DISABLED',
    1060: 'ERROR_SERVICE_DOES_NOT_EXIST', 1061: 'ERROR_SERVICE_CANNOT_ACCEPT_CTRL',
    1062: 'ERROR_SERVICE_NOT_ACTIVE', 1065: 'ERROR_DATABASE_DOES_NOT_EXIST',
    1066: 'ERROR_SERVICE_SPECIFIC_ERROR', 1067: 'ERROR_PROCESS_ABORTED', 1069: 'ERROR_SERVICE_LOGON_FAILED',
    1072: 'ERROR_SERVICE_MARKED_FOR_DELETE', 1073: 'ERROR_SERVICE_EXISTS', 1077: 'ERROR_SERVICE_NEVER_STARTED',
    1078: 'ERROR_DUPLICATE_SERVICE_NAME', 1115: 'ERROR_SHUTDOWN_IN_PROGRESS',
}
# NTSTATUS (lsarpc)
STATUS_SUCCESS = 0
STATUS_INVALID_HANDLE = 0xC0000008
STATUS_INVALID_INFO_CLASS = 0xC0000003
NTSTATUS_NAMES = {0: 'STATUS_SUCCESS', 0xC0000008: 'STATUS_INVALID_HANDLE', 0xC0000003: 'STATUS_INVALID_INFO_CLASS'}

# SERVICE_STATUS (MS-SCMR 2.2.47)
SERVICE_WIN32_OWN_PROCESS = 0x10
SERVICE_WIN32_SHARE_PROCESS = 0x20
SERVICE_INTERACTIVE_PROCESS = 0x100
SERVICE_STOPPED, SERVICE_START_PENDING, SERVICE_STOP_PENDING, SERVICE_RUNNING = 1, 2, 3, 4
STATE_NAMES = {1: 'STOPPED', 2: 'START_PENDING', 3: 'STOP_PENDING', 4: 'RUNNING'}
SERVICE_ACCEPT_STOP = 0x1
SERVICE_CONTROL_STOP = 1
SERVICE_CONTROL_INTERROGATE = 4
SERVICE_DISABLED = 4
SERVICE_ACTIVE, SERVICE_INACTIVE, SERVICE_STATE_ALL = 1, 2, 3

DENY_FLAGS = ('open-scmanager', 'create-service', 'open-service', 'start-service', 'control-service', 'delete-service')


# ------------------------------------------------------------------------------------------------
# impacket quirks worked around here

class RCreateServiceWResponseFixed(NDRCALL):
    """impacket 0.10 declares RCreateServiceWResponse.lpdwTagId as LPWSTR; MS-SCMR 3.1.4.12 has
    [in, out, unique] LPDWORD. Identical bytes while it is NULL, wrong as soon as a client asks."""
    structure = (
        ('lpdwTagId', LPDWORD),
        ('lpServiceHandle', scmr.SC_RPC_HANDLE),
        ('ErrorCode', DWORD),
    )


class REnumServicesStatusWResponseBytes(NDRCALL):
    """impacket's REnumServicesStatusWResponse leaves lpBuffer an untyped NDRUniConformantArray;
    the wire form is [size_is(cbBufSize)] LPBYTE, a conformant byte array."""
    structure = (
        ('lpBuffer', scmr.BYTE_ARRAY),
        ('pcbBytesNeeded', DWORD),
        ('lpServicesReturned', DWORD),
        ('lpResumeIndex', scmr.LPBOUNDED_DWORD_256K),
        ('ErrorCode', DWORD),
    )


class LsarOpenPolicyFixed(NDRCALL):
    """impacket declares LsarOpenPolicy's SystemName as a [string] LPWSTR; MS-LSAD 3.1.4.4.1 has
    [in, unique] wchar_t* without [string]: one wide character (Samba's client sends '\\')."""
    opnum = 6
    structure = (
        ('SystemName', PUSHORT),
        ('ObjectAttributes', lsad.LSAPR_OBJECT_ATTRIBUTES),
        ('DesiredAccess', DWORD),
    )


# ------------------------------------------------------------------------------------------------
# Small helpers

def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def strip_nul(value):
    if isinstance(value, bytes):
        value = value.decode('utf-16-le', 'replace')
    return value[:-1] if value.endswith('\x00') else value


def opt_wstr(call, name):
    """A [unique] string parameter: None when NULL."""
    field = call.fields[name]
    if field['ReferentID'] == 0:
        return None
    return strip_nul(field['Data'])


def handle_bytes(value):
    data = value['Data'] if not isinstance(value, bytes) else value
    return bytes(data)


NO_HANDLE = b'\x00' * 20


def new_handle():
    return b'\x00\x00\x00\x00' + uuid.uuid4().bytes


def recv_exact(sock, n):
    chunks = []
    while n > 0:
        chunk = sock.recv(n)
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b''.join(chunks)


def syntax_str(raw20):
    guid, version = bin_to_uuidtup(raw20)
    return guid.lower(), version


class ConfigReader:
    """The JSON config, re-read on every call. A missing file means {}; an unparsable one keeps the
    last good config (the TypeScript side writes it atomically, so that only happens by hand)."""

    def __init__(self, path, journal):
        self.path = path
        self.journal = journal
        self.last = {}
        self.lock = threading.Lock()

    def get(self):
        with self.lock:
            try:
                with open(self.path, 'r', encoding='utf-8') as f:
                    value = json.load(f)
                if not isinstance(value, dict):
                    raise ValueError('the config must be a JSON object')
                self.last = value
            except FileNotFoundError:
                self.last = {}
            except (OSError, ValueError) as error:
                self.journal.write({'kind': 'config-error', 'error': str(error)})
            return dict(self.last)


class Journal:
    """JOURNAL: one JSON object per line, appended and flushed as each PDU is handled.
    Common fields: seq, time, kind, and for pipe traffic pipe + conn. Kinds:
      connect / disconnect     a pipe open (after NPAM) / its end (handlesRundown on disconnect)
      bind                     bind or alter_context: contexts[{id, abstractSyntax, version,
                               transferSyntaxes, result, reason}], maxXmitFrag, maxRecvFrag
      bind_nak                 reason
      call                     callId, opnum, op, args, result, resultName, out, fragments
                               (request fragments), responseFragments
      fault                    callId, opnum, op, status, statusName, detail
      listening, process-start / process-exit / process-error, service-removed, config-error,
      protocol-error (framing or PDU errors; the pipe is then closed), shutdown"""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.seq = 0
        self.file = open(path, 'a', encoding='utf-8')

    def write(self, entry):
        with self.lock:
            self.seq += 1
            record = {'seq': self.seq, 'time': now_iso()}
            record.update(entry)
            self.file.write(json.dumps(record, sort_keys=False) + '\n')
            self.file.flush()

    def close(self):
        with self.lock:
            self.file.close()


# ------------------------------------------------------------------------------------------------
# Service Control Manager state

class Service:
    def __init__(self, name, display_name, binary_path, service_type, start_type, error_control, start_name):
        self.name = name
        self.display_name = display_name
        self.binary_path = binary_path
        self.service_type = service_type
        self.start_type = start_type
        self.error_control = error_control
        self.start_name = start_name
        self.state = SERVICE_STOPPED
        self.win32_exit_code = ERROR_SERVICE_NEVER_STARTED
        self.specific_exit_code = 0
        self.marked_for_delete = False
        self.open_handles = 0
        self.process = None
        self.process_done = None
        self.stop_requested = False
        self.start_count = 0
        self.check_point = 0

    def status(self):
        accepted = SERVICE_ACCEPT_STOP if self.state == SERVICE_RUNNING else 0
        pending = self.state in (SERVICE_START_PENDING, SERVICE_STOP_PENDING)
        return {
            'dwServiceType': self.service_type,
            'dwCurrentState': self.state,
            'dwControlsAccepted': accepted,
            'dwWin32ExitCode': self.win32_exit_code,
            'dwServiceSpecificExitCode': self.specific_exit_code,
            'dwCheckPoint': self.check_point if pending else 0,
            'dwWaitHint': 2000 if pending else 0,
        }

    def to_json(self):
        return {
            'name': self.name,
            'displayName': self.display_name,
            'binaryPath': self.binary_path,
            'serviceType': self.service_type,
            'startType': self.start_type,
            'errorControl': self.error_control,
            'startName': self.start_name,
            'state': STATE_NAMES.get(self.state, str(self.state)),
            'win32ExitCode': self.win32_exit_code,
            'serviceSpecificExitCode': self.specific_exit_code,
            'pid': self.process.pid if self.process is not None else None,
            'markedForDelete': self.marked_for_delete,
            'openHandles': self.open_handles,
            'startCount': self.start_count,
        }


class Handle:
    def __init__(self, kind, conn_id, service_key=None):
        self.kind = kind  # 'scm' | 'service' | 'lsa-policy'
        self.conn_id = conn_id
        self.service_key = service_key


class Peer:
    def __init__(self, args):
        self.args = args
        self.journal = Journal(args.journal)
        self.config = ConfigReader(args.config, self.journal)
        self.lock = threading.RLock()
        self.services = {}  # lower-case name -> Service
        self.handles = {}  # 20-byte context handle -> Handle
        self.connections = {}
        self.next_conn = 0
        self.stopping = threading.Event()
        self.domain_name = args.domain_name
        self.domain_sid = 'S-1-5-21-%d-%d-%d' % tuple(int.from_bytes(os.urandom(4), 'little') >> 1 for _ in range(3))
        self.state_path = args.state

    # -- state file ------------------------------------------------------------------------------

    def write_state(self):
        if not self.state_path:
            return
        with self.lock:
            body = {
                'time': now_iso(),
                'services': [s.to_json() for s in sorted(self.services.values(), key=lambda s: s.name.lower())],
                'openHandles': len(self.handles),
                'connections': len(self.connections),
            }
            tmp = '%s.%d.tmp' % (self.state_path, os.getpid())
            with open(tmp, 'w', encoding='utf-8') as f:
                json.dump(body, f)
            os.replace(tmp, self.state_path)

    # -- handles ---------------------------------------------------------------------------------

    def add_handle(self, kind, conn_id, service=None):
        raw = new_handle()
        with self.lock:
            self.handles[raw] = Handle(kind, conn_id, service.name.lower() if service else None)
            if service is not None:
                service.open_handles += 1
        return raw

    def close_handle(self, raw):
        with self.lock:
            handle = self.handles.pop(raw, None)
            if handle is None:
                return False
            if handle.service_key is not None:
                service = self.services.get(handle.service_key)
                if service is not None:
                    service.open_handles -= 1
                    self.maybe_remove(service)
            return True

    def rundown(self, conn_id):
        """Context handle rundown when a pipe closes (MS-RPCE 3.3.3.2.2): its handles are closed."""
        with self.lock:
            mine = [raw for raw, h in self.handles.items() if h.conn_id == conn_id]
            for raw in mine:
                self.close_handle(raw)
            return len(mine)

    def maybe_remove(self, service):
        """A service marked for delete goes when its last handle is closed and it is stopped."""
        with self.lock:
            key = service.name.lower()
            if (service.marked_for_delete and service.open_handles <= 0 and service.state == SERVICE_STOPPED
                    and self.services.get(key) is service):
                del self.services[key]
                self.journal.write({'kind': 'service-removed', 'service': service.name})

    # -- service processes -----------------------------------------------------------------------

    def spawn(self, service, argv, config):
        """Starts the configured command; returns None or a Win32 error for StartService."""
        command = config.get('startCommand')
        service.stop_requested = False
        service.check_point = 1
        service.win32_exit_code = 0
        service.specific_exit_code = 0
        service.start_count += 1
        pending_ms = config.get('startPendingMs', 0)
        pending_ms = pending_ms if isinstance(pending_ms, (int, float)) and pending_ms > 0 else 0
        if command is None:
            service.process = None
            service.process_done = None
            service.state = SERVICE_START_PENDING if pending_ms else SERVICE_RUNNING
            if pending_ms:
                self.later(pending_ms, service, None)
            return None
        if not (isinstance(command, list) and command and all(isinstance(a, str) for a in command)):
            service.state = SERVICE_STOPPED
            service.win32_exit_code = ERROR_SERVICE_NEVER_STARTED
            self.journal.write({'kind': 'config-error', 'error': 'startCommand must be a non-empty array of strings'})
            return ERROR_INVALID_PARAMETER
        env = dict(os.environ)
        env.update({
            'PIC_SERVICE_NAME': service.name,
            'PIC_DISPLAY_NAME': service.display_name,
            'PIC_BINARY_PATH': service.binary_path,
            'PIC_ARGS': json.dumps(argv),
        })
        try:
            process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno(),
                                       stderr=sys.stderr.fileno(), start_new_session=True, close_fds=True)
        except OSError as error:
            service.state = SERVICE_STOPPED
            service.win32_exit_code = ERROR_SERVICE_NEVER_STARTED
            self.journal.write({'kind': 'process-error', 'service': service.name, 'error': str(error)})
            return ERROR_FILE_NOT_FOUND
        service.process = process
        service.process_done = threading.Event()
        service.state = SERVICE_START_PENDING if pending_ms else SERVICE_RUNNING
        self.journal.write({'kind': 'process-start', 'service': service.name, 'pid': process.pid, 'argv': command})
        threading.Thread(target=self.watch, args=(service, process, service.process_done), daemon=True).start()
        if pending_ms:
            self.later(pending_ms, service, process)
        return None

    def later(self, pending_ms, service, process):
        def run():
            time.sleep(pending_ms / 1000.0)
            with self.lock:
                if service.state == SERVICE_START_PENDING and service.process is process:
                    service.state = SERVICE_RUNNING
                    self.write_state()
        threading.Thread(target=run, daemon=True).start()

    def watch(self, service, process, done):
        code = process.wait()
        with self.lock:
            if service.process is process:
                service.process = None
                service.state = SERVICE_STOPPED
                # MS-SCMR 2.2.47: a service-specific code goes in dwServiceSpecificExitCode with
                # dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR; a stop on request ends cleanly (0);
                # a process killed by anything else is ERROR_PROCESS_ABORTED, as the SCM reports it.
                if service.stop_requested or code == 0:
                    service.win32_exit_code, service.specific_exit_code = 0, 0
                elif code > 0:
                    service.win32_exit_code, service.specific_exit_code = ERROR_SERVICE_SPECIFIC_ERROR, code
                else:
                    service.win32_exit_code, service.specific_exit_code = ERROR_PROCESS_ABORTED, 0
                self.journal.write({
                    'kind': 'process-exit', 'service': service.name, 'pid': process.pid,
                    'exitCode': code if code >= 0 else None, 'signal': -code if code < 0 else None,
                    'stopRequested': service.stop_requested,
                })
                self.maybe_remove(service)
                self.write_state()
        done.set()

    def terminate(self, service, timeout_s):
        """Stops a service's process group: SIGTERM, then SIGKILL after timeout_s. Lock not held."""
        with self.lock:
            process, done = service.process, service.process_done
            service.stop_requested = True
        if process is None or done is None:
            return
        for sig, wait_s in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)
            except OSError:
                pass
            if done.wait(wait_s):
                return

    def stop_all_processes(self):
        with self.lock:
            running = [s for s in self.services.values() if s.process is not None]
        threads = [threading.Thread(target=self.terminate, args=(s, 2.0)) for s in running]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)


# ------------------------------------------------------------------------------------------------
# svcctl handlers: each takes (peer, conn, stub, config) and returns (response stub, result, args, out)

class RpcFault(Exception):
    def __init__(self, status):
        Exception.__init__(self, FAULT_NAMES.get(status, hex(status)))
        self.status = status


def decode(cls, stub):
    try:
        return cls(stub)
    except Exception:  # impacket raises struct.error, IndexError, KeyError ... on a bad stub
        raise RpcFault(NCA_S_FAULT_NDR)


def denied(config, flag):
    deny = config.get('deny')
    if isinstance(deny, str):
        deny = [deny]
    return isinstance(deny, list) and flag in deny


def set_status(target, service):
    for key, value in service.status().items():
        target[key] = value


def status_json(service):
    status = service.status()
    return {
        'state': STATE_NAMES.get(status['dwCurrentState']),
        'dwCurrentState': status['dwCurrentState'],
        'dwControlsAccepted': status['dwControlsAccepted'],
        'dwWin32ExitCode': status['dwWin32ExitCode'],
        'dwServiceSpecificExitCode': status['dwServiceSpecificExitCode'],
    }


def hand_out(peer, conn, resp, out, field, kind, service=None):
    """A new handle for this connection, put in the response and the journal: ERROR_SUCCESS."""
    handle = peer.add_handle(kind, conn.conn_id, service)
    resp[field] = handle
    out['handle'] = handle.hex()
    return ERROR_SUCCESS


def lookup(peer, raw, kind):
    """The Handle for a context handle of the given kind, or None (ERROR_INVALID_HANDLE)."""
    handle = peer.handles.get(raw)
    if handle is None or handle.kind != kind:
        return None
    return handle


def service_of(peer, raw):
    handle = lookup(peer, raw, 'service')
    if handle is None:
        return None
    return peer.services.get(handle.service_key)


def valid_service_name(name):
    return 0 < len(name) <= 256 and '/' not in name and '\\' not in name


def op_close(peer, conn, stub, config):
    req = decode(scmr.RCloseServiceHandle, stub)
    raw = handle_bytes(req['hSCObject'])
    with peer.lock:
        handle = peer.handles.get(raw)
        args = {'handle': raw.hex()}
        if handle is not None and handle.service_key is not None:
            args['service'] = peer.services[handle.service_key].name if handle.service_key in peer.services else handle.service_key
        closed = peer.close_handle(raw) if handle is not None and handle.kind in ('scm', 'service') else False
    resp = scmr.RCloseServiceHandleResponse()
    resp['hSCObject'] = NO_HANDLE if closed else raw
    resp['ErrorCode'] = ERROR_SUCCESS if closed else ERROR_INVALID_HANDLE
    return resp, resp['ErrorCode'], args, {}


def op_control(peer, conn, stub, config):
    req = decode(scmr.RControlService, stub)
    raw = handle_bytes(req['hService'])
    control = req['dwControl']
    args = {'handle': raw.hex(), 'control': control}
    resp = scmr.RControlServiceResponse()
    with peer.lock:
        service = service_of(peer, raw)
        if service is None:
            resp['ErrorCode'] = ERROR_INVALID_HANDLE
            return resp, ERROR_INVALID_HANDLE, args, {}
        args['service'] = service.name
        result = ERROR_SUCCESS
        stopping = False
        if denied(config, 'control-service'):
            result = ERROR_ACCESS_DENIED
        elif control == SERVICE_CONTROL_STOP:
            if service.state == SERVICE_STOPPED:
                result = ERROR_SERVICE_NOT_ACTIVE
            elif service.state in (SERVICE_START_PENDING, SERVICE_STOP_PENDING):
                result = ERROR_SERVICE_CANNOT_ACCEPT_CTRL
            elif service.process is None:
                service.state = SERVICE_STOPPED
                service.win32_exit_code, service.specific_exit_code = 0, 0
                service.stop_requested = True
            else:
                service.state = SERVICE_STOP_PENDING
                stopping = True
        elif control == SERVICE_CONTROL_INTERROGATE:
            result = ERROR_SERVICE_NOT_ACTIVE if service.state == SERVICE_STOPPED else ERROR_SUCCESS
        else:
            result = ERROR_SERVICE_NOT_ACTIVE if service.state == SERVICE_STOPPED else ERROR_INVALID_SERVICE_CONTROL
    if stopping:
        timeout_ms = config.get('stopTimeoutMs', 3000)
        timeout_s = timeout_ms / 1000.0 if isinstance(timeout_ms, (int, float)) and timeout_ms >= 0 else 3.0
        peer.terminate(service, timeout_s)
    with peer.lock:
        set_status(resp['lpServiceStatus'], service)
        resp['ErrorCode'] = result
        peer.maybe_remove(service)
        return resp, result, args, status_json(service)


def op_delete(peer, conn, stub, config):
    req = decode(scmr.RDeleteService, stub)
    raw = handle_bytes(req['hService'])
    args = {'handle': raw.hex()}
    resp = scmr.RDeleteServiceResponse()
    with peer.lock:
        service = service_of(peer, raw)
        if service is None:
            result = ERROR_INVALID_HANDLE
        else:
            args['service'] = service.name
            if denied(config, 'delete-service'):
                result = ERROR_ACCESS_DENIED
            elif service.marked_for_delete:
                result = ERROR_SERVICE_MARKED_FOR_DELETE
            else:
                # MS-SCMR 3.1.4.3: Start becomes SERVICE_DISABLED, Deleted TRUE; the record goes
                # when its last handle is closed (and, as the SCM does, once it is not running).
                service.marked_for_delete = True
                service.start_type = SERVICE_DISABLED
                result = ERROR_SUCCESS
        resp['ErrorCode'] = result
        return resp, result, args, {}


def op_query_status(peer, conn, stub, config):
    req = decode(scmr.RQueryServiceStatus, stub)
    raw = handle_bytes(req['hService'])
    args = {'handle': raw.hex()}
    resp = scmr.RQueryServiceStatusResponse()
    with peer.lock:
        service = service_of(peer, raw)
        if service is None:
            resp['ErrorCode'] = ERROR_INVALID_HANDLE
            return resp, ERROR_INVALID_HANDLE, args, {}
        args['service'] = service.name
        set_status(resp['lpServiceStatus'], service)
        resp['ErrorCode'] = ERROR_SUCCESS
        return resp, ERROR_SUCCESS, args, status_json(service)


def op_create(peer, conn, stub, config):
    req = decode(scmr.RCreateServiceW, stub)
    raw = handle_bytes(req['hSCManager'])
    name = strip_nul(req['lpServiceName'])
    display = opt_wstr(req, 'lpDisplayName')
    binary = strip_nul(req['lpBinaryPathName'])
    service_type, start_type, error_control = req['dwServiceType'], req['dwStartType'], req['dwErrorControl']
    start_name = opt_wstr(req, 'lpServiceStartName')
    tag_requested = req.fields['lpdwTagId']['ReferentID'] != 0
    args = {
        'handle': raw.hex(), 'serviceName': name, 'displayName': display, 'desiredAccess': req['dwDesiredAccess'],
        'serviceType': service_type, 'startType': start_type, 'errorControl': error_control,
        'binaryPathName': binary, 'loadOrderGroup': opt_wstr(req, 'lpLoadOrderGroup'), 'tagIdRequested': tag_requested,
        'dependSize': req['dwDependSize'], 'serviceStartName': start_name,
        'passwordPresent': req.fields['lpPassword']['ReferentID'] != 0,
    }
    resp = RCreateServiceWResponseFixed()
    resp['lpServiceHandle'] = NO_HANDLE
    if tag_requested:
        resp['lpdwTagId'] = 0
    else:
        resp['lpdwTagId'] = NULL
    out = {}
    with peer.lock:
        key = name.lower()
        existing = peer.services.get(key)
        injected = config.get('createResult')
        if lookup(peer, raw, 'scm') is None:
            result = ERROR_INVALID_HANDLE
        elif denied(config, 'create-service'):
            result = ERROR_ACCESS_DENIED
        elif isinstance(injected, int) and injected != 0:
            result = injected
        elif not valid_service_name(name):
            result = ERROR_INVALID_NAME
        elif existing is not None:
            result = ERROR_SERVICE_MARKED_FOR_DELETE if existing.marked_for_delete else ERROR_SERVICE_EXISTS
        elif (binary == '' or service_type & ~SERVICE_INTERACTIVE_PROCESS not in (SERVICE_WIN32_OWN_PROCESS, SERVICE_WIN32_SHARE_PROCESS)
              or start_type not in (2, 3, 4) or error_control not in (0, 1, 2, 3)):
            result = ERROR_INVALID_PARAMETER
        elif any(s.display_name.lower() == (display or name).lower() or s.name.lower() == (display or name).lower()
                 for s in peer.services.values()):
            result = ERROR_DUPLICATE_SERVICE_NAME
        else:
            service = Service(name, display if display else name, binary, service_type, start_type, error_control,
                              start_name if start_name else 'LocalSystem')
            peer.services[key] = service
            result = hand_out(peer, conn, resp, out, 'lpServiceHandle', 'service', service)
        resp['ErrorCode'] = result
        return resp, result, args, out


def op_enum(peer, conn, stub, config):
    req = decode(scmr.REnumServicesStatusW, stub)
    raw = handle_bytes(req['hSCManager'])
    offered = req['cbBufSize']
    resume_given = req.fields['lpResumeIndex']['ReferentID'] != 0
    args = {'handle': raw.hex(), 'serviceType': req['dwServiceType'], 'serviceState': req['dwServiceState'],
            'bufSize': offered, 'resumeIndex': req['lpResumeIndex'] if resume_given else None}
    resp = REnumServicesStatusWResponseBytes()
    if resume_given:
        resp['lpResumeIndex'] = 0
    else:
        resp['lpResumeIndex'] = NULL
    with peer.lock:
        if lookup(peer, raw, 'scm') is None:
            result, needed, services, blob = ERROR_INVALID_HANDLE, 0, [], b''
        else:
            wanted = req['dwServiceState']
            services = [s for s in sorted(peer.services.values(), key=lambda s: s.name.lower())
                        if s.service_type & req['dwServiceType']
                        and (wanted == SERVICE_STATE_ALL or (wanted == SERVICE_ACTIVE) == (s.state != SERVICE_STOPPED))]
            # ENUM_SERVICE_STATUSW records (two 32-bit offsets from the buffer start + SERVICE_STATUS),
            # then the NUL-terminated UTF-16 names they point to.
            records, strings = b'', b''
            base = 36 * len(services)
            for s in services:
                name_off = base + len(strings)
                strings += (s.name + '\x00').encode('utf-16-le')
                display_off = base + len(strings)
                strings += (s.display_name + '\x00').encode('utf-16-le')
                st = s.status()
                records += struct.pack('<II7I', name_off, display_off, st['dwServiceType'], st['dwCurrentState'],
                                       st['dwControlsAccepted'], st['dwWin32ExitCode'], st['dwServiceSpecificExitCode'],
                                       st['dwCheckPoint'], st['dwWaitHint'])
            blob = records + strings
            needed = len(blob)
            if offered < needed:
                result, services, blob = ERROR_MORE_DATA, [], b''
            else:
                result = ERROR_SUCCESS
    # [out, size_is(cbBufSize)]: exactly cbBufSize bytes go back, whatever is in them.
    blob = (blob + b'\x00' * offered)[:offered]
    resp['lpBuffer'] = [blob[i:i + 1] for i in range(len(blob))]
    resp['pcbBytesNeeded'] = needed
    resp['lpServicesReturned'] = len(services)
    resp['ErrorCode'] = result
    return resp, result, args, {'bytesNeeded': needed, 'servicesReturned': len(services),
                                'services': [s.name for s in services]}


def op_open_scm(peer, conn, stub, config):
    req = decode(scmr.ROpenSCManagerW, stub)
    machine, database = opt_wstr(req, 'lpMachineName'), opt_wstr(req, 'lpDatabaseName')
    args = {'machineName': machine, 'databaseName': database, 'desiredAccess': req['dwDesiredAccess']}
    resp = scmr.ROpenSCManagerWResponse()
    resp['lpScHandle'] = NO_HANDLE
    out = {}
    if denied(config, 'open-scmanager'):
        result = ERROR_ACCESS_DENIED
    elif database is not None and database.lower() != 'servicesactive':
        result = ERROR_DATABASE_DOES_NOT_EXIST
    else:
        result = hand_out(peer, conn, resp, out, 'lpScHandle', 'scm')
    resp['ErrorCode'] = result
    return resp, result, args, out


def op_open_service(peer, conn, stub, config):
    req = decode(scmr.ROpenServiceW, stub)
    raw = handle_bytes(req['hSCManager'])
    name = strip_nul(req['lpServiceName'])
    args = {'handle': raw.hex(), 'serviceName': name, 'desiredAccess': req['dwDesiredAccess']}
    resp = scmr.ROpenServiceWResponse()
    resp['lpServiceHandle'] = NO_HANDLE
    out = {}
    with peer.lock:
        service = peer.services.get(name.lower())
        if lookup(peer, raw, 'scm') is None:
            result = ERROR_INVALID_HANDLE
        elif denied(config, 'open-service'):
            result = ERROR_ACCESS_DENIED
        elif not valid_service_name(name):
            result = ERROR_INVALID_NAME
        elif service is None:
            result = ERROR_SERVICE_DOES_NOT_EXIST
        else:
            # A service marked for delete can still be opened (MS-SCMR 3.1.4.16 has no 1072), so a
            # client can stop it and close its handles; creating it again is what fails (1072).
            result = hand_out(peer, conn, resp, out, 'lpServiceHandle', 'service', service)
        resp['ErrorCode'] = result
        return resp, result, args, out


def op_query_config(peer, conn, stub, config):
    req = decode(scmr.RQueryServiceConfigW, stub)
    raw = handle_bytes(req['hService'])
    offered = req['cbBufSize']
    args = {'handle': raw.hex(), 'bufSize': offered}
    resp = scmr.RQueryServiceConfigWResponse()
    cfg = resp['lpServiceConfig']
    string_fields = ('lpBinaryPathName', 'lpLoadOrderGroup', 'lpDependencies', 'lpServiceStartName', 'lpDisplayName')
    with peer.lock:
        service = service_of(peer, raw)
        if service is None:
            for field in string_fields:
                cfg[field] = NULL
            resp['pcbBytesNeeded'] = 0
            resp['ErrorCode'] = ERROR_INVALID_HANDLE
            return resp, ERROR_INVALID_HANDLE, args, {}
        args['service'] = service.name
        strings = {
            'lpBinaryPathName': service.binary_path, 'lpLoadOrderGroup': '', 'lpDependencies': '',
            'lpServiceStartName': service.start_name, 'lpDisplayName': service.display_name,
        }
        # QUERY_SERVICE_CONFIGW (9 fields of 4 bytes) followed by its strings, as the SCM counts it.
        needed = min(36 + sum(2 * (len(v) + 1) for v in strings.values()), 8192)
        resp['pcbBytesNeeded'] = needed
        cfg['dwServiceType'] = service.service_type
        cfg['dwStartType'] = service.start_type
        cfg['dwErrorControl'] = service.error_control
        cfg['dwTagId'] = 0
        if offered < needed:
            for field in string_fields:
                cfg[field] = NULL
            result = ERROR_INSUFFICIENT_BUFFER
        else:
            for field, value in strings.items():
                cfg[field] = value + '\x00'
            result = ERROR_SUCCESS
        resp['ErrorCode'] = result
        return resp, result, args, {'bytesNeeded': needed}


def op_start(peer, conn, stub, config):
    req = decode(scmr.RStartServiceW, stub)
    raw = handle_bytes(req['hService'])
    argv = []
    if req.fields['argv']['ReferentID'] != 0:
        argv = [strip_nul(item['Data']) for item in req['argv']]
    args = {'handle': raw.hex(), 'argc': req['argc'], 'argv': argv}
    resp = scmr.RStartServiceWResponse()
    with peer.lock:
        service = service_of(peer, raw)
        injected = config.get('startResult')
        if service is None:
            result = ERROR_INVALID_HANDLE
        else:
            args['service'] = service.name
            if denied(config, 'start-service'):
                result = ERROR_ACCESS_DENIED
            elif service.marked_for_delete:
                result = ERROR_SERVICE_MARKED_FOR_DELETE
            elif service.state != SERVICE_STOPPED:
                result = ERROR_SERVICE_ALREADY_RUNNING
            elif service.start_type == SERVICE_DISABLED:
                result = ERROR_SERVICE_DISABLED
            elif isinstance(injected, int) and injected != 0:
                # The SCM gave up on it (1053: it never connected; 2: no such file): it stays STOPPED.
                result = injected
                service.win32_exit_code, service.specific_exit_code = ERROR_SERVICE_NEVER_STARTED, 0
            else:
                result = peer.spawn(service, argv, config) or ERROR_SUCCESS
        resp['ErrorCode'] = result
        out = status_json(service) if service is not None else {}
        return resp, result, args, out


SVCCTL_OPS = {
    0: ('RCloseServiceHandle', op_close),
    1: ('RControlService', op_control),
    2: ('RDeleteService', op_delete),
    6: ('RQueryServiceStatus', op_query_status),
    12: ('RCreateServiceW', op_create),
    14: ('REnumServicesStatusW', op_enum),
    15: ('ROpenSCManagerW', op_open_scm),
    16: ('ROpenServiceW', op_open_service),
    17: ('RQueryServiceConfigW', op_query_config),
    19: ('RStartServiceW', op_start),
}


# ------------------------------------------------------------------------------------------------
# lsarpc (just enough for Samba's `net rpc` preamble)

def lsa_open(peer, conn, stub, config, cls):
    req = decode(cls, stub)
    args = {'desiredAccess': req['DesiredAccess']}
    resp = lsad.LsarOpenPolicy2Response()
    resp['PolicyHandle'] = NO_HANDLE
    handle = peer.add_handle('lsa-policy', conn.conn_id)
    resp['PolicyHandle'] = handle
    resp['ErrorCode'] = STATUS_SUCCESS
    return resp, STATUS_SUCCESS, args, {'handle': handle.hex()}


def lsa_open_policy(peer, conn, stub, config):
    return lsa_open(peer, conn, stub, config, LsarOpenPolicyFixed)


def lsa_open_policy2(peer, conn, stub, config):
    return lsa_open(peer, conn, stub, config, lsad.LsarOpenPolicy2)


def lsa_query(peer, conn, stub, config, cls):
    req = decode(cls, stub)
    raw = handle_bytes(req['PolicyHandle'])
    level = req['InformationClass']
    args = {'handle': raw.hex(), 'informationClass': level}
    resp = lsad.LsarQueryInformationPolicy2Response()
    with peer.lock:
        known = lookup(peer, raw, 'lsa-policy') is not None
    if not known:
        resp['PolicyInformation'] = NULL
        result = STATUS_INVALID_HANDLE
    elif level in (lsad.POLICY_INFORMATION_CLASS.PolicyPrimaryDomainInformation,
                   lsad.POLICY_INFORMATION_CLASS.PolicyAccountDomainInformation):
        info = resp['PolicyInformation']
        info['tag'] = level
        if level == lsad.POLICY_INFORMATION_CLASS.PolicyPrimaryDomainInformation:
            info['PolicyPrimaryDomainInfo']['Name'] = 'WORKGROUP'
            info['PolicyPrimaryDomainInfo']['Sid'] = NULL
        else:
            info['PolicyAccountDomainInfo']['DomainName'] = peer.domain_name
            info['PolicyAccountDomainInfo']['DomainSid'].fromCanonical(peer.domain_sid)
        result = STATUS_SUCCESS
    else:
        resp['PolicyInformation'] = NULL
        result = STATUS_INVALID_INFO_CLASS
    resp['ErrorCode'] = result
    return resp, result, args, {}


def lsa_query_policy(peer, conn, stub, config):
    return lsa_query(peer, conn, stub, config, lsad.LsarQueryInformationPolicy)


def lsa_query_policy2(peer, conn, stub, config):
    return lsa_query(peer, conn, stub, config, lsad.LsarQueryInformationPolicy2)


def lsa_close(peer, conn, stub, config):
    req = decode(lsad.LsarClose, stub)
    raw = handle_bytes(req['ObjectHandle'])
    with peer.lock:
        closed = lookup(peer, raw, 'lsa-policy') is not None and peer.close_handle(raw)
    resp = lsad.LsarCloseResponse()
    resp['ObjectHandle'] = NO_HANDLE if closed else raw
    resp['ErrorCode'] = STATUS_SUCCESS if closed else STATUS_INVALID_HANDLE
    return resp, resp['ErrorCode'], {'handle': raw.hex()}, {}


LSARPC_OPS = {
    0: ('LsarClose', lsa_close),
    6: ('LsarOpenPolicy', lsa_open_policy),
    7: ('LsarQueryInformationPolicy', lsa_query_policy),
    44: ('LsarOpenPolicy2', lsa_open_policy2),
    46: ('LsarQueryInformationPolicy2', lsa_query_policy2),
}

INTERFACES = {
    'svcctl': {'syntax': SVCCTL_SYNTAX, 'secondary': '\\PIPE\\svcctl', 'ops': SVCCTL_OPS, 'names': WIN32_NAMES},
    'lsarpc': {'syntax': LSARPC_SYNTAX, 'secondary': '\\PIPE\\lsass', 'ops': LSARPC_OPS, 'names': NTSTATUS_NAMES},
}


# ------------------------------------------------------------------------------------------------
# One pipe open: NPAM handshake, 2-byte framing, DCE/RPC connection-oriented PDUs

class ProtocolError(Exception):
    pass


class Connection(threading.Thread):
    def __init__(self, peer, sock, pipe, conn_id):
        threading.Thread.__init__(self, daemon=True)
        self.peer = peer
        self.sock = sock
        self.pipe = pipe
        self.iface = INTERFACES[pipe]
        self.conn_id = conn_id
        self.contexts = {}  # presentation context id -> True (accepted for our interface)
        self.max_xmit = DEFAULT_MAX_FRAGMENT
        self.max_recv = DEFAULT_MAX_FRAGMENT
        self.assoc_group = 0
        self.pending = None  # request being reassembled

    def log(self, entry):
        record = {'pipe': self.pipe, 'conn': self.conn_id}
        record.update(entry)
        self.peer.journal.write(record)

    def run(self):
        reason = 'closed by client'
        try:
            level = self.npam()
            self.log({'kind': 'connect', 'npamLevel': level})
            self.loop()
        except ProtocolError as error:
            reason = 'protocol error: %s' % error
            self.log({'kind': 'protocol-error', 'error': str(error)})
        except OSError as error:
            reason = 'socket error: %s' % error
        except Exception as error:  # a bug in the peer: keep serving other pipes, but say so
            reason = 'internal error: %s' % error
            self.log({'kind': 'protocol-error', 'error': 'internal: %s' % traceback.format_exc()})
        finally:
            try:
                self.sock.close()
            except OSError:
                pass
            rundown = self.peer.rundown(self.conn_id)
            with self.peer.lock:
                self.peer.connections.pop(self.conn_id, None)
            self.log({'kind': 'disconnect', 'reason': reason, 'handlesRundown': rundown})
            self.peer.write_state()

    def npam(self):
        """Samba's named_pipe_auth_req: BE32 length, "NPAM", LE32 level, a union of the same level
        (info7 in 4.17: client/server addresses and the session info, not needed here). The reply
        is named_pipe_auth_rep: message-mode pipe, device state 0x05ff, allocation size 4096."""
        header = recv_exact(self.sock, 4)
        if header is None:
            raise ProtocolError('closed before the named_pipe_auth request')
        length = struct.unpack('>I', header)[0]
        if length < 8 or length > 16 * 1024 * 1024:
            raise ProtocolError('named_pipe_auth request of %d bytes' % length)
        body = recv_exact(self.sock, length)
        if body is None or body[:4] != NPAM_MAGIC:
            raise ProtocolError('no NPAM magic in the named_pipe_auth request')
        level = struct.unpack_from('<I', body, 4)[0]
        reply = NPAM_MAGIC + struct.pack('<IIHHIQI', level, level, FILE_TYPE_MESSAGE_MODE_PIPE, NPAM_DEVICE_STATE, 0,
                                         NPAM_ALLOCATION_SIZE, STATUS_SUCCESS)
        self.sock.sendall(struct.pack('>I', len(reply)) + reply)
        return level

    def send_pdu(self, pdu):
        if len(pdu) > 0xFFFF:
            raise ProtocolError('PDU of %d bytes does not fit a message' % len(pdu))
        self.sock.sendall(struct.pack('<H', len(pdu)) + pdu)

    def loop(self):
        buffered = b''
        while not self.peer.stopping.is_set():
            header = recv_exact(self.sock, 2)
            if header is None:
                return
            size = struct.unpack('<H', header)[0]
            message = recv_exact(self.sock, size) if size else b''
            if message is None:
                return
            buffered += message
            # A message normally carries one PDU; accept several or a split one all the same.
            while len(buffered) >= 16:
                frag_len = struct.unpack_from('<H', buffered, 8)[0]
                if frag_len < 16:
                    raise ProtocolError('frag_length %d' % frag_len)
                if len(buffered) < frag_len:
                    break
                pdu, buffered = buffered[:frag_len], buffered[frag_len:]
                self.handle_pdu(pdu)

    def handle_pdu(self, data):
        if data[0] != 5 or data[1] not in (0, 1):
            if data[2] == rpcrt.MSRPC_BIND:
                self.send_bind_nak(struct.unpack_from('<I', data, 12)[0], BIND_NAK_PROTOCOL_VERSION_NOT_SUPPORTED)
                return
            raise ProtocolError('RPC version %d.%d' % (data[0], data[1]))
        if data[4] & 0xF0 != 0x10:
            raise ProtocolError('only little-endian data representation is supported (drep %s)' % data[4:8].hex())
        ptype = data[2]
        if ptype in (rpcrt.MSRPC_BIND, rpcrt.MSRPC_ALTERCTX):
            self.handle_bind(data, ptype)
        elif ptype == rpcrt.MSRPC_REQUEST:
            self.handle_request(data)
        elif ptype in (rpcrt.MSRPC_AUTH3, rpcrt.MSRPC_CO_CANCEL, rpcrt.MSRPC_ORPHANED):
            if ptype == rpcrt.MSRPC_ORPHANED:
                self.pending = None
        else:
            raise ProtocolError('unexpected PDU type %d' % ptype)

    # -- bind / alter_context --------------------------------------------------------------------

    def send_bind_nak(self, call_id, reason):
        header = rpcrt.MSRPCHeader()
        header['type'] = rpcrt.MSRPC_BINDNAK
        header['flags'] = PFC_FIRST_FRAG | PFC_LAST_FRAG
        header['call_id'] = call_id
        nak = rpcrt.MSRPCBindNak()
        nak['RejectedReason'] = reason
        nak['SupportedVersions'] = b'\x01\x05\x00'  # n_protocols 1: version 5.0
        header['pduData'] = nak.getData() + b'\x00'
        header['frag_len'] = 16 + len(header['pduData'])
        self.log({'kind': 'bind_nak', 'callId': call_id, 'reason': reason})
        self.send_pdu(header.getData())

    def handle_bind(self, data, ptype):
        packet = rpcrt.MSRPCHeader(data)
        call_id = packet['call_id']
        body = packet['pduData']
        if len(body) < 12:
            self.send_bind_nak(call_id, BIND_NAK_REASON_NOT_SPECIFIED)
            return
        bind = rpcrt.MSRPCBind(body[:12])
        count = bind['ctx_num']
        # impacket's MSRPCBind assumes one transfer syntax per context item (44 bytes each); a
        # client may offer several, so the items are walked here with CtxItem for the fixed part.
        offset, items = 12, []
        for _ in range(count):
            if offset + 44 > len(body):
                self.send_bind_nak(call_id, BIND_NAK_REASON_NOT_SPECIFIED)
                return
            item = rpcrt.CtxItem(body[offset:offset + 44])
            n_transfer = item['TransItems']
            transfers = [item['TransferSyntax']]
            extra = body[offset + 44:offset + 24 + 20 * n_transfer]
            if n_transfer < 1 or len(extra) != 20 * (n_transfer - 1):
                self.send_bind_nak(call_id, BIND_NAK_REASON_NOT_SPECIFIED)
                return
            transfers += [extra[i:i + 20] for i in range(0, len(extra), 20)]
            items.append((item['ContextID'], item['AbstractSyntax'], transfers))
            offset += 24 + 20 * n_transfer
        if count == 0:
            self.send_bind_nak(call_id, BIND_NAK_REASON_NOT_SPECIFIED)
            return

        config = self.peer.config.get()
        ours = config.get('maxFragment', DEFAULT_MAX_FRAGMENT)
        ours = min(max(ours, SMALLEST_FRAGMENT), 0xFFFF) if isinstance(ours, int) else DEFAULT_MAX_FRAGMENT
        if ptype == rpcrt.MSRPC_BIND:
            # max_xmit_frag: the largest fragment we send = min(client's max_recv_frag, ours); and
            # the other way round. Never more than the client said it can take.
            self.max_xmit = max(SMALLEST_FRAGMENT, min(bind['max_rfrag'], ours))
            self.max_recv = max(SMALLEST_FRAGMENT, min(bind['max_tfrag'], ours))
            self.assoc_group = bind['assoc_group'] or (0x5000 + self.conn_id)

        results, logged = b'', []
        for ctx_id, abstract, transfers in items:
            entry = {'id': ctx_id, 'abstractSyntax': syntax_str(abstract)[0], 'version': syntax_str(abstract)[1],
                     'transferSyntaxes': ['%s v%s' % syntax_str(t) for t in transfers]}
            result, reason, chosen = RESULT_PROVIDER_REJECTION, REASON_ABSTRACT_SYNTAX_NOT_SUPPORTED, b'\x00' * 20
            if any(t[:8] == BTFN_PREFIX and t[10:16] == b'\x00' * 6 for t in transfers):
                # Bind time feature negotiation (MS-RPCE 3.3.1.5.3): a context item whose transfer
                # syntax is 6cb71c2c-9812-4540-<bitmask>-000000000000 asks which features the
                # server supports; answer negotiate_ack with none of them (reason = bitmask 0).
                result, reason = RESULT_NEGOTIATE_ACK, 0
            elif abstract == self.iface['syntax']:
                if NDR20 in transfers:
                    result, reason, chosen = RESULT_ACCEPTANCE, 0, NDR20
                    self.contexts[ctx_id] = True
                else:
                    reason = REASON_TRANSFER_SYNTAXES_NOT_SUPPORTED
            item = rpcrt.CtxItemResult()
            item['Result'] = result
            item['Reason'] = reason
            item['TransferSyntax'] = chosen
            results += item.getData()
            entry['result'] = RESULT_NAMES[result]
            entry['reason'] = reason
            logged.append(entry)

        ack = rpcrt.MSRPCBindAck()
        ack['type'] = rpcrt.MSRPC_BINDACK if ptype == rpcrt.MSRPC_BIND else rpcrt.MSRPC_ALTERCTX_R
        ack['flags'] = PFC_FIRST_FRAG | PFC_LAST_FRAG
        ack['call_id'] = call_id
        ack['max_tfrag'] = self.max_xmit
        ack['max_rfrag'] = self.max_recv
        ack['assoc_group'] = self.assoc_group
        secondary = self.iface['secondary']
        ack['SecondaryAddr'] = secondary
        ack['SecondaryAddrLen'] = len(secondary) + 1
        ack['Pad'] = b'\x00' * ((4 - ((len(secondary) + 1 + 26) % 4)) % 4)
        ack['ctx_num'] = len(items)
        ack['ctx_items'] = results
        ack['frag_len'] = 0
        ack['frag_len'] = len(ack.getData())
        self.log({'kind': 'bind', 'callId': call_id, 'alterContext': ptype == rpcrt.MSRPC_ALTERCTX,
                  'contexts': logged, 'maxXmitFrag': self.max_xmit, 'maxRecvFrag': self.max_recv,
                  'clientMaxXmitFrag': bind['max_tfrag'], 'clientMaxRecvFrag': bind['max_rfrag']})
        self.send_pdu(ack.getData())

    # -- requests --------------------------------------------------------------------------------

    def send_fault(self, call_id, ctx_id, status, did_not_execute):
        fault = rpcrt.MSRPCRespHeader()
        fault['type'] = rpcrt.MSRPC_FAULT
        fault['flags'] = PFC_FIRST_FRAG | PFC_LAST_FRAG | (PFC_DID_NOT_EXECUTE if did_not_execute else 0)
        fault['call_id'] = call_id
        fault['ctx_id'] = ctx_id
        fault['alloc_hint'] = 32
        fault['pduData'] = struct.pack('<II', status, 0)  # status, reserved
        fault['frag_len'] = 24 + 8
        self.send_pdu(fault.getData())

    def handle_request(self, data):
        if len(data) < 24:
            raise ProtocolError('request PDU of %d bytes' % len(data))
        request = rpcrt.MSRPCRequestHeader(data)
        flags, call_id = request['flags'], request['call_id']
        if len(data) > self.max_recv:
            raise ProtocolError('request fragment of %d bytes exceeds max_recv_frag %d' % (len(data), self.max_recv))
        if flags & PFC_FIRST_FRAG:
            if self.pending is not None:
                self.pending = None
                self.fault_and_log(call_id, request['ctx_id'], request['op_num'], NCA_S_PROTO_ERROR, True,
                                   'a new call started before call %d was complete' % call_id)
                return
            self.pending = {'call_id': call_id, 'ctx_id': request['ctx_id'], 'opnum': request['op_num'],
                            'stub': [request['pduData']], 'size': len(request['pduData']), 'fragments': 1}
        else:
            if self.pending is None or self.pending['call_id'] != call_id:
                self.pending = None
                self.fault_and_log(call_id, request['ctx_id'], request['op_num'], NCA_S_PROTO_ERROR, True,
                                   'a middle or last fragment without a first one')
                return
            self.pending['stub'].append(request['pduData'])
            self.pending['size'] += len(request['pduData'])
            self.pending['fragments'] += 1
        if self.pending['size'] > MAX_REQUEST_STUB:
            pending, self.pending = self.pending, None
            self.fault_and_log(call_id, pending['ctx_id'], pending['opnum'], NCA_S_PROTO_ERROR, True,
                               'request stub over %d bytes' % MAX_REQUEST_STUB)
            return
        if not flags & PFC_LAST_FRAG:
            return
        call, self.pending = self.pending, None
        self.dispatch(call['call_id'], call['ctx_id'], call['opnum'], b''.join(call['stub']), call['fragments'])

    def fault_and_log(self, call_id, ctx_id, opnum, status, did_not_execute, detail=None, op=None):
        entry = {'kind': 'fault', 'callId': call_id, 'opnum': opnum, 'op': op or self.op_name(opnum),
                 'status': status, 'statusName': FAULT_NAMES.get(status, hex(status))}
        if detail:
            entry['detail'] = detail
        self.log(entry)
        self.send_fault(call_id, ctx_id, status, did_not_execute)

    def op_name(self, opnum):
        known = self.iface['ops'].get(opnum)
        return known[0] if known else 'opnum %d' % opnum

    def dispatch(self, call_id, ctx_id, opnum, stub, fragments):
        if ctx_id not in self.contexts:
            self.fault_and_log(call_id, ctx_id, opnum, NCA_S_UNK_IF, True, 'no accepted presentation context %d' % ctx_id)
            return
        known = self.iface['ops'].get(opnum)
        if known is None:
            self.fault_and_log(call_id, ctx_id, opnum, NCA_S_OP_RNG_ERROR, True)
            return
        name, handler = known
        config = self.peer.config.get()
        try:
            response, result, args, out = handler(self.peer, self, stub, config)
            body = response.getData()
        except RpcFault as fault:
            self.fault_and_log(call_id, ctx_id, opnum, fault.status, True, 'request stub of %d bytes' % len(stub), name)
            return
        except Exception:
            self.fault_and_log(call_id, ctx_id, opnum, NCA_S_FAULT_UNSPEC, False, traceback.format_exc(), name)
            return
        pdus = self.response_fragments(call_id, ctx_id, body)
        # Journal and state first: once a client has the response, a test reading them sees this call.
        self.log({'kind': 'call', 'callId': call_id, 'opnum': opnum, 'op': name, 'args': args, 'result': result,
                  'resultName': self.iface['names'].get(result, hex(result) if result > 0xFFFF else str(result)),
                  'out': out, 'fragments': fragments, 'responseFragments': len(pdus)})
        self.peer.write_state()
        for pdu in pdus:
            self.send_pdu(pdu)

    def response_fragments(self, call_id, ctx_id, stub):
        """The response PDUs: the stub split into fragments no larger than the negotiated
        max_xmit_frag (stub pieces a multiple of 8), FIRST on the first, LAST on the last."""
        per_fragment = max(8, ((self.max_xmit - 24) // 8) * 8)
        pdus, offset = [], 0
        while True:
            chunk = stub[offset:offset + per_fragment]
            flags = PFC_FIRST_FRAG if offset == 0 else 0
            remaining = len(stub) - offset
            offset += len(chunk)
            if offset >= len(stub):
                flags |= PFC_LAST_FRAG
            response = rpcrt.MSRPCRespHeader()
            response['type'] = rpcrt.MSRPC_RESPONSE
            response['flags'] = flags
            response['call_id'] = call_id
            response['ctx_id'] = ctx_id
            response['alloc_hint'] = remaining
            response['pduData'] = chunk
            response['frag_len'] = 24 + len(chunk)
            pdus.append(response.getData())
            if flags & PFC_LAST_FRAG:
                return pdus


# ------------------------------------------------------------------------------------------------
# Main: listen, accept, shut down cleanly

def listen_unix(path):
    try:
        if os.path.exists(path) or os.path.islink(path):
            os.unlink(path)
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    os.chmod(path, 0o666)
    sock.listen(64)
    sock.setblocking(False)
    return sock, os.stat(path).st_ino


def die_with_parent():
    """PR_SET_PDEATHSIG: SIGTERM when the process that started us dies, even by SIGKILL."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)
    except OSError:
        return
    if os.getppid() != parent:
        sys.exit('the parent process is gone')


def main():
    parser = argparse.ArgumentParser(description='MS-SCMR svcctl test peer (impacket NDR) behind Samba')
    parser.add_argument('--socket', required=True, help='unix socket for \\pipe\\svcctl: <ncalrpc dir>/np/svcctl')
    parser.add_argument('--config', required=True, help='JSON config file, re-read on every call')
    parser.add_argument('--journal', required=True, help='JSON-lines journal file (appended)')
    parser.add_argument('--state', help='JSON state file, rewritten after each change')
    parser.add_argument('--lsarpc-socket', help='also serve a minimal \\pipe\\lsarpc here (for `net rpc`)')
    parser.add_argument('--domain-name', default='PICSMB', help='account domain name lsarpc reports')
    args = parser.parse_args()

    die_with_parent()
    peer = Peer(args)
    stop_signals = []

    def on_signal(signum, _frame):
        stop_signals.append(signum)
        peer.stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    listeners = []
    selector = selectors.DefaultSelector()
    try:
        for pipe, path in (('svcctl', args.socket), ('lsarpc', args.lsarpc_socket)):
            if path:
                sock, inode = listen_unix(path)
                listeners.append((sock, path, inode))
                selector.register(sock, selectors.EVENT_READ, pipe)
    except OSError as error:
        sys.stderr.write('cannot listen: %s\n' % error)
        sys.exit(2)
    peer.write_state()
    peer.journal.write({'kind': 'listening', 'sockets': [p for _, p, _ in listeners], 'pid': os.getpid()})
    sys.stdout.write('ready\n')
    sys.stdout.flush()

    while not peer.stopping.is_set():
        for key, _ in selector.select(timeout=0.2):
            try:
                client, _ = key.fileobj.accept()
            except (BlockingIOError, InterruptedError):
                continue
            client.setblocking(True)
            with peer.lock:
                peer.next_conn += 1
                conn = Connection(peer, client, key.data, peer.next_conn)
                peer.connections[conn.conn_id] = conn
            conn.start()

    # Shutdown: no new pipes, end the open ones, stop service processes, remove our sockets.
    for sock, path, inode in listeners:
        selector.unregister(sock)
        sock.close()
        try:
            if os.stat(path).st_ino == inode:
                os.unlink(path)
        except OSError:
            pass
    with peer.lock:
        open_conns = list(peer.connections.values())
    for conn in open_conns:
        try:
            conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    for conn in open_conns:
        conn.join(5)
    peer.stop_all_processes()
    peer.write_state()
    peer.journal.write({'kind': 'shutdown', 'signal': stop_signals[0] if stop_signals else None})
    peer.journal.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
