// Connection-oriented DCE/RPC PDUs (C706 chapter 12, MS-RPCE 2.2.2), one codec for both
// directions — the push's client (main/rpc/rpcClient.ts) and the lab's server
// (main/lab/rpc/rpcServer.ts) use the same tables and functions:
//   pdu/header.ts  PTYPE, pfc_flags, result / reason / fault tables, UUIDs, the common header (C706 12.6.1, 12.6.3.1; MS-RPCE 2.2.2.1–2.2.2.5, 2.2.2.14)
//   pdu/bind.ts    bind, alter_context, bind_ack, alter_context_resp, bind_nak (C706 12.6.4.1–12.6.4.5; MS-RPCE 2.2.2.6–2.2.2.9, 3.3.1.5.3)
//   pdu/call.ts    request and response fragments, fault (C706 12.6.3.5, 12.6.4.7, 12.6.4.9, 12.6.4.10; MS-RPCE 2.2.2.10–2.2.2.11)
export * from './pdu/header.js';
export * from './pdu/bind.js';
export * from './pdu/call.js';
