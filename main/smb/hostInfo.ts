// "Get Info" (docs/PROTOCOLS.md §2.7): what a computer tells without credentials — from NEGOTIATE
// and the NTLM CHALLENGE of a first SESSION_SETUP leg — then the connection is dropped
// unauthenticated.
import { decodeChallengeMessage, encodeNegotiateMessage } from './auth/ntlm/client.js';
import { decodeNegTokenResp, encodeNegTokenInit } from './auth/spnego.js';
import { Command } from './codec/header.js';
import { Cipher, Dialect, SecurityMode } from './codec/negotiate.js';
import { decodeSessionSetupResponse, encodeSessionSetupRequest } from './codec/sessionSetup.js';
import { SmbConnection, asProtocolError, type ConnectionOptions } from './connection.js';
import { SmbProtocolError, SmbStatusError } from './errors.js';
import { Status } from './ntstatus.js';

export interface HostInfo {
  readonly dialect: string;
  readonly signingRequired: boolean;
  /** The cipher SMB 3 traffic would use, or null (2.x, or none shared). */
  readonly cipher: string | null;
  readonly netbiosName: string | null;
  readonly netbiosDomain: string | null;
  readonly dnsName: string | null;
  readonly dnsDomain: string | null;
  /** e.g. "10.0.26100" from the CHALLENGE's Version field. */
  readonly osVersion: string | null;
}

export function dialectName(dialect: number): string {
  const names: Record<number, string> = {
    [Dialect.SMB202]: '2.0.2',
    [Dialect.SMB210]: '2.1',
    [Dialect.SMB300]: '3.0',
    [Dialect.SMB302]: '3.0.2',
    [Dialect.SMB311]: '3.1.1',
  };
  return names[dialect] ?? `0x${dialect.toString(16)}`;
}

export function cipherName(cipher: number | null): string | null {
  const names: Record<number, string> = {
    [Cipher.AES128_CCM]: 'AES-128-CCM',
    [Cipher.AES128_GCM]: 'AES-128-GCM',
    [Cipher.AES256_CCM]: 'AES-256-CCM',
    [Cipher.AES256_GCM]: 'AES-256-GCM',
  };
  return cipher === null ? null : names[cipher] ?? `0x${cipher.toString(16)}`;
}

export async function getHostInfo(options: ConnectionOptions): Promise<HostInfo> {
  const connection = await SmbConnection.connect(options);
  try {
    return await readHostInfo(connection);
  } catch (error) {
    throw asProtocolError(error);
  } finally {
    connection.close();
  }
}

async function readHostInfo(connection: SmbConnection): Promise<HostInfo> {
  const response = await connection.request(
    Command.SESSION_SETUP,
    encodeSessionSetupRequest({ securityMode: SecurityMode.SIGNING_ENABLED, capabilities: 0, securityBuffer: encodeNegTokenInit(encodeNegotiateMessage()) }),
  );
  if (response.header.status !== Status.MORE_PROCESSING_REQUIRED) throw new SmbStatusError(response.header.status, 'SESSION_SETUP');
  const token = decodeNegTokenResp(decodeSessionSetupResponse(response.message).securityBuffer).responseToken;
  if (!token) throw new SmbProtocolError('The server\'s SESSION_SETUP response carries no NTLM challenge.');
  const challenge = decodeChallengeMessage(token);
  const av = challenge.avPairs;
  return {
    dialect: dialectName(connection.dialect),
    signingRequired: connection.serverRequiresSigning,
    cipher: cipherName(connection.cipher),
    netbiosName: av.netbiosComputerName ?? null,
    netbiosDomain: av.netbiosDomainName ?? null,
    dnsName: av.dnsComputerName ?? null,
    dnsDomain: av.dnsDomainName ?? null,
    osVersion: challenge.version ? `${challenge.version.major}.${challenge.version.minor}.${challenge.version.build}` : null,
  };
}
