// AV_PAIR lists (MS-NLMP 2.2.2.1): the CHALLENGE's TargetInfo as the server writes it and the
// client reads it, the client's copy inside its NTLMv2 response (3.1.5.1.2), and the MsvAvFlags a
// server looks for in that response to know whether a MIC was sent (3.2.5.1.2).
import { NtlmFormatError, decodeUtf16, encodeText, NegotiateFlag } from './wire.js';

/** MS-NLMP 2.2.2.1 AvId values. */
export const AvId = {
  EOL: 0,
  NB_COMPUTER_NAME: 1,
  NB_DOMAIN_NAME: 2,
  DNS_COMPUTER_NAME: 3,
  DNS_DOMAIN_NAME: 4,
  DNS_TREE_NAME: 5,
  FLAGS: 6,
  TIMESTAMP: 7,
  SINGLE_HOST: 8,
  TARGET_NAME: 9,
  CHANNEL_BINDINGS: 10,
} as const;

/** MsvAvFlags bit 0x2: the AUTHENTICATE message carries a MIC (MS-NLMP 2.2.2.1). */
export const AV_FLAG_MIC_PRESENT = 0x2;

export interface AvPair {
  id: number;
  value: Buffer;
}

/** The AV pairs of a CHALLENGE's TargetInfo that the console shows or uses (MS-NLMP 2.2.2.1). */
export interface AvPairs {
  netbiosComputerName?: string;
  netbiosDomainName?: string;
  dnsComputerName?: string;
  dnsDomainName?: string;
  dnsTreeName?: string;
  /** MsvAvTimestamp: FILETIME, 100-ns ticks since 1601-01-01 UTC. */
  timestamp?: bigint;
  flags?: number;
}

/** The AV_PAIR list up to MsvAvEOL, which must be present. Empty input: no pairs. */
export function readAvPairs(info: Buffer): AvPair[] {
  const pairs: AvPair[] = [];
  if (info.length === 0) return pairs;
  let at = 0;
  for (;;) {
    if (info.length - at < 4) throw new NtlmFormatError('TargetInfo ends without MsvAvEOL');
    const id = info.readUInt16LE(at);
    const length = info.readUInt16LE(at + 2);
    at += 4;
    if (length > info.length - at) throw new NtlmFormatError(`AV pair ${id} of length ${length} overruns TargetInfo`);
    if (id === AvId.EOL) return pairs;
    pairs.push({ id, value: info.subarray(at, at + length) });
    at += length;
  }
}

export function encodeAvPair(id: number, value: Buffer): Buffer {
  if (value.length > 0xffff) throw new NtlmFormatError(`AV pair ${id} is too long (${value.length} bytes)`);
  const header = Buffer.alloc(4);
  header.writeUInt16LE(id, 0);
  header.writeUInt16LE(value.length, 2);
  return Buffer.concat([header, value]);
}

/** The pairs in their order, then MsvAvEOL. */
export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  return Buffer.concat([...pairs.map((p) => encodeAvPair(p.id, p.value)), encodeAvPair(AvId.EOL, Buffer.alloc(0))]);
}

type AvName = 'netbiosComputerName' | 'netbiosDomainName' | 'dnsComputerName' | 'dnsDomainName' | 'dnsTreeName';

const AV_NAMES: Partial<Record<number, AvName>> = {
  [AvId.NB_COMPUTER_NAME]: 'netbiosComputerName',
  [AvId.NB_DOMAIN_NAME]: 'netbiosDomainName',
  [AvId.DNS_COMPUTER_NAME]: 'dnsComputerName',
  [AvId.DNS_DOMAIN_NAME]: 'dnsDomainName',
  [AvId.DNS_TREE_NAME]: 'dnsTreeName',
};

/** The first occurrence of each pair counts; unknown pairs are kept only in the raw TargetInfo. */
export function interpretAvPairs(pairs: AvPair[]): AvPairs {
  const result: AvPairs = {};
  for (const { id, value } of pairs) {
    const name = AV_NAMES[id];
    if (name !== undefined) {
      result[name] ??= decodeUtf16(value, `AV pair ${id}`);
    } else if (id === AvId.TIMESTAMP) {
      if (value.length !== 8) throw new NtlmFormatError(`MsvAvTimestamp is ${value.length} bytes, not 8`);
      result.timestamp ??= value.readBigUInt64LE(0);
    } else if (id === AvId.FLAGS) {
      if (value.length !== 4) throw new NtlmFormatError(`MsvAvFlags is ${value.length} bytes, not 4`);
      result.flags ??= value.readUInt32LE(0);
    }
  }
  return result;
}

/** What a server names itself with in its TargetInfo. */
export interface TargetIdentity {
  netbiosComputer: string;
  netbiosDomain: string;
  dnsComputer: string;
  /** '' for a workgroup host: then no MsvAvDnsTreeName is sent. */
  dnsDomain: string;
}

/**
 * A server's TargetInfo in Windows' order — MsvAvNbDomainName, MsvAvNbComputerName,
 * MsvAvDnsDomainName, MsvAvDnsComputerName, MsvAvDnsTreeName (domain members only),
 * MsvAvTimestamp, MsvAvEOL — as in the captured Windows 10 CHALLENGE (MS-NLMP 2.2.2.1; the AV
 * pairs are always UTF-16 whatever the flags).
 */
export function encodeServerTargetInfo(id: TargetIdentity, timestamp: bigint): Buffer {
  const text = (s: string) => encodeText(s, NegotiateFlag.UNICODE);
  const stamp = Buffer.alloc(8);
  stamp.writeBigUInt64LE(timestamp);
  const pairs: AvPair[] = [
    { id: AvId.NB_DOMAIN_NAME, value: text(id.netbiosDomain) },
    { id: AvId.NB_COMPUTER_NAME, value: text(id.netbiosComputer) },
    { id: AvId.DNS_DOMAIN_NAME, value: text(id.dnsDomain) },
    { id: AvId.DNS_COMPUTER_NAME, value: text(id.dnsComputer) },
  ];
  if (id.dnsDomain) pairs.push({ id: AvId.DNS_TREE_NAME, value: text(id.dnsDomain) });
  pairs.push({ id: AvId.TIMESTAMP, value: stamp });
  return encodeAvPairs(pairs);
}

/**
 * The server's AV pairs echoed in their order, then MsvAvFlags (MIC present, merged with any the
 * server sent), MsvAvTargetName (when an SPN is given) and a zero MsvAvChannelBindings — no TLS
 * under SMB, so no channel binding token (MS-NLMP 3.1.5.1.2) — and MsvAvEOL.
 */
export function clientAvPairs(serverPairs: AvPair[], serverFlags: number, targetSpn: string | undefined): Buffer {
  const replaced = new Set<number>([AvId.FLAGS, AvId.TARGET_NAME, AvId.CHANNEL_BINDINGS]);
  const pairs = serverPairs.filter((p) => !replaced.has(p.id));
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE((serverFlags | AV_FLAG_MIC_PRESENT) >>> 0);
  pairs.push({ id: AvId.FLAGS, value: flags });
  if (targetSpn !== undefined) pairs.push({ id: AvId.TARGET_NAME, value: encodeText(targetSpn, NegotiateFlag.UNICODE) });
  pairs.push({ id: AvId.CHANNEL_BINDINGS, value: Buffer.alloc(16) });
  return encodeAvPairs(pairs);
}

/** NTLMv2_RESPONSE: NTProofStr (16) and the fixed part of NTLMv2_CLIENT_CHALLENGE (28) before the AV pairs (MS-NLMP 2.2.2.7-8). */
export const NTLMV2_RESPONSE_FIXED = 16 + 28;

/**
 * MsvAvFlags of the AV pairs inside an NTLMv2 response, 0 when absent. Lenient, as a server is:
 * a truncated or overrunning list ends the search instead of failing the logon here.
 */
export function ntlmV2ResponseAvFlags(ntResponse: Buffer): number {
  let at = NTLMV2_RESPONSE_FIXED;
  while (ntResponse.length - at >= 4) {
    const id = ntResponse.readUInt16LE(at);
    const length = ntResponse.readUInt16LE(at + 2);
    at += 4;
    if (id === AvId.EOL || length > ntResponse.length - at) return 0;
    if (id === AvId.FLAGS && length === 4) return ntResponse.readUInt32LE(at);
    at += length;
  }
  return 0;
}
