// The agent's exit codes are defined once, in agent/src/exitcodes.h (the native agent is the
// truth), and copied twice on the TypeScript side. These tests parse the header and fail when a
// copy disagrees with it: a code the header defines is missing or has another value, or a copy
// holds a code the header does not define.
//
// The copies and how the header's names map onto them:
//
//   agent/src/exitcodes.h          main/lab/agent/agentExit.ts  main/engine/results.ts
//   (AGENT_EXIT_<NAME>)            AgentExit.<NAME>             verdictForAgentCode (AGENT_CODES)
//   ---------------------------    ------------------------    -------------------------------------
//   AGENT_EXIT_OK              0   OK                           code 0 → outcome succeeded
//   AGENT_EXIT_INTERNAL        1   INTERNAL                     errorClass agent-internal
//   AGENT_EXIT_USAGE           2   USAGE                        errorClass service-start
//   AGENT_EXIT_BAD_JOB        10   BAD_JOB                      errorClass agent-job
//   AGENT_EXIT_UNREACHABLE    11   UNREACHABLE                  errorClass agent-no-callback
//   AGENT_EXIT_FINGERPRINT    12   FINGERPRINT                  errorClass agent-certificate
//   AGENT_EXIT_INTEGRITY      13   INTEGRITY                    errorClass integrity
//   AGENT_EXIT_STOPPED        14   STOPPED                      errorClass cancelled
//   AGENT_EXIT_TOKEN_REFUSED  15   TOKEN_REFUSED                errorClass agent-token
//   AGENT_EXIT_DOWNLOAD       16   DOWNLOAD                     errorClass download
//   AGENT_EXIT_ALREADY_RAN    17   ALREADY_RAN                  errorClass already-done
//   AGENT_EXIT_MSIEXEC_LAUNCH 18   MSIEXEC_LAUNCH               errorClass msi-launch
//   AGENT_EXIT_RESTART_CANCELLED 19 RESTART_CANCELLED           errorClass cancelled (its pending restart)
//   AGENT_EXIT_MSI_BASE   100000   MSI_BASE (and msiLog.ts's    code >= base → "MSI <code - base>"
//                                  agentCodeFor: base + N)
//
// The simulated agent mirrors the header name for name (the prefix AGENT_EXIT_ dropped). The
// engine's AGENT_CODES table is private and keyed by number; it is read through
// verdictForAgentCode, its public face: a code is "in the engine's table" when its verdict is not
// the one for an unknown code. OK and MSI_BASE are not table rows there but branches of
// verdictForAgentCode, and are checked as such. The error class each name must map to is the
// mapping above: a header code that moves to another meaning is caught, not only a missing one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { verdictForAgentCode } from '../../main/engine/results.js';
import { AgentExit } from '../../main/lab/agent/agentExit.js';
import { agentCodeFor } from '../../main/lab/agent/msiLog.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HEADER = path.join(root, 'agent/src/exitcodes.h');
const PREFIX = 'AGENT_EXIT_';

/** A C integer literal: decimal, hex or octal, with optional u/l suffixes. */
function cInteger(text: string, where: string): number {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)[uUlL]*$/.exec(text.trim().replace(/^\((.*)\)$/, '$1').trim());
  assert.ok(m, `${where}: "${text.trim()}" is not an integer literal this test can read; teach parseExitCodes it`);
  const digits = m[1]!;
  return digits.length > 1 && digits.startsWith('0') && !/^0[xX]/.test(digits) ? parseInt(digits, 8) : Number(digits);
}

/**
 * Every AGENT_EXIT_* name the header defines, with its value: `#define AGENT_EXIT_X <int>` lines
 * and enumerators `AGENT_EXIT_X [= <int>]` of any enum (an enumerator without a value is the
 * previous one + 1, as in C). A name defined twice, or defined by an expression, is an error.
 */
function parseExitCodes(source: string): Map<string, number> {
  const codes = new Map<string, number>();
  const add = (name: string, value: number) => {
    assert.ok(!codes.has(name), `exitcodes.h defines ${name} twice`);
    codes.set(name, value);
  };
  const text = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
  for (const m of text.matchAll(/^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+([^\n]+)$/gm)) {
    if (m[1]!.startsWith(PREFIX)) add(m[1]!, cInteger(m[2]!, `#define ${m[1]}`));
  }
  for (const m of text.matchAll(/\benum\b[^{;]*\{([^}]*)\}/g)) {
    let next = 0;
    for (const item of m[1]!.split(',').map((s) => s.trim()).filter(Boolean)) {
      const e = /^(\w+)\s*(?:=\s*(.+))?$/s.exec(item);
      assert.ok(e, `enum item "${item}" is not NAME or NAME = value`);
      const value = e[2] === undefined ? next : cInteger(e[2], `enum ${e[1]}`);
      if (e[1]!.startsWith(PREFIX)) add(e[1]!, value);
      next = value + 1;
    }
  }
  return codes;
}

const header = parseExitCodes(fs.readFileSync(HEADER, 'utf8'));
/** The header's codes by short name (prefix dropped), as the simulated agent names them. */
const headerByName = Object.fromEntries([...header].map(([name, value]) => [name.slice(PREFIX.length), value]));
const MSI_BASE = headerByName.MSI_BASE!;

/** The engine's error class for each header name that is a row of AGENT_CODES (see the table above). */
const ENGINE_CLASS: Readonly<Record<string, string>> = {
  INTERNAL: 'agent-internal',
  USAGE: 'service-start',
  BAD_JOB: 'agent-job',
  UNREACHABLE: 'agent-no-callback',
  FINGERPRINT: 'agent-certificate',
  INTEGRITY: 'integrity',
  STOPPED: 'cancelled',
  TOKEN_REFUSED: 'agent-token',
  DOWNLOAD: 'download',
  ALREADY_RAN: 'already-done',
  MSIEXEC_LAUNCH: 'msi-launch',
  RESTART_CANCELLED: 'cancelled',
};
/** Header names the engine handles by a branch of verdictForAgentCode, not by an AGENT_CODES row. */
const ENGINE_BRANCHES = new Set(['OK', 'MSI_BASE']);

const isUnknownToEngine = (code: number) => /unknown code/.test(verdictForAgentCode(code).message);

describe('agent exit codes: exitcodes.h is the one source', () => {
  test('the header parses into the codes the agent documents (OK = 0, MSI_BASE above every plain code)', () => {
    assert.ok(header.size >= 3, `only ${header.size} AGENT_EXIT_* codes found in ${HEADER}`);
    assert.equal(headerByName.OK, 0);
    assert.ok(MSI_BASE !== undefined, 'exitcodes.h defines no AGENT_EXIT_MSI_BASE');
    for (const [name, value] of header) if (name !== `${PREFIX}MSI_BASE`) assert.ok(value < MSI_BASE, `${name} = ${value} is not below MSI_BASE ${MSI_BASE}`);
    assert.equal(new Set(header.values()).size, header.size, 'two header names share a value');
  });

  test('the parser reads #define and enum forms, and refuses what it cannot read', () => {
    assert.deepEqual(
      [...parseExitCodes('#define AGENT_EXIT_A 0x10u /* c */\n#define OTHER 3\nenum e { AGENT_EXIT_B = 4, AGENT_EXIT_C, X };\n')],
      [['AGENT_EXIT_A', 16], ['AGENT_EXIT_B', 4], ['AGENT_EXIT_C', 5]],
    );
    assert.throws(() => parseExitCodes('#define AGENT_EXIT_A (AGENT_EXIT_B + 1)\n'), /not an integer literal/);
    assert.throws(() => parseExitCodes('#define AGENT_EXIT_A 1\n#define AGENT_EXIT_A 2\n'), /twice/);
  });

  test('the simulated agent\'s AgentExit holds exactly the header\'s codes, name for name and value for value', () => {
    const sim: Readonly<Record<string, number>> = AgentExit;
    const missing = Object.keys(headerByName).filter((name) => !(name in sim)).map((name) => `${name} = ${headerByName[name]}`);
    const extra = Object.keys(sim).filter((name) => !(name in headerByName)).map((name) => `${name} = ${sim[name]}`);
    const differ = Object.keys(sim).filter((name) => name in headerByName && sim[name] !== headerByName[name]).map((name) => `${name}: ${sim[name]}, header ${headerByName[name]}`);
    assert.deepEqual({ missing, extra, differ }, { missing: [], extra: [], differ: [] }, 'AgentExit (main/lab/agent/agentExit.ts) disagrees with agent/src/exitcodes.h');
  });

  test('the simulated agent reports a failed msiexec as MSI_BASE + its code, and success as OK', () => {
    assert.equal(agentCodeFor(0), headerByName.OK);
    for (const msi of [1603, 1618, 1641, 3010]) assert.equal(agentCodeFor(msi), MSI_BASE + msi);
  });

  test('every header code that is a row of the engine\'s AGENT_CODES has that row, with the mapped error class', () => {
    const rows = Object.keys(headerByName).filter((name) => !ENGINE_BRANCHES.has(name));
    assert.deepEqual(rows.sort(), Object.keys(ENGINE_CLASS).sort(), 'a header code has no engine error class in this test\'s mapping: add it (and the AGENT_CODES row)');
    for (const name of rows) {
      const code = headerByName[name]!;
      const verdict = verdictForAgentCode(code);
      assert.ok(!isUnknownToEngine(code), `AGENT_EXIT_${name} = ${code} is not in the engine's AGENT_CODES`);
      assert.equal(verdict.errorClass, ENGINE_CLASS[name], `AGENT_EXIT_${name} = ${code}: engine error class`);
      assert.equal(verdict.code, `AGENT ${code}`);
    }
  });

  test('the engine treats the header\'s OK as success and MSI_BASE + N as msiexec\'s code N', () => {
    const ok = verdictForAgentCode(headerByName.OK!);
    assert.equal(ok.outcome, 'succeeded');
    assert.equal(ok.errorClass, null);
    assert.equal(verdictForAgentCode(MSI_BASE + 1603).code, 'MSI 1603');
    assert.equal(verdictForAgentCode(MSI_BASE + 3010).outcome, 'succeeded-reboot-required');
    assert.equal(verdictForAgentCode(MSI_BASE + 1641).outcome, 'succeeded-reboot-required');
    assert.equal(verdictForAgentCode(MSI_BASE).code, 'MSI 0', 'the engine\'s MSI range does not start at the header\'s MSI_BASE');
    assert.doesNotMatch(verdictForAgentCode(MSI_BASE - 1).code ?? '', /^MSI /, 'the engine\'s MSI range starts below the header\'s MSI_BASE');
  });

  test('the engine knows no agent code below MSI_BASE that the header does not define', () => {
    assert.ok(isUnknownToEngine(MSI_BASE - 1), 'the engine\'s verdict for an unknown code changed wording; update isUnknownToEngine');
    const defined = new Set(header.values());
    const extra: number[] = [];
    for (let code = 0; code < MSI_BASE; code++) if (!defined.has(code) && !isUnknownToEngine(code)) extra.push(code);
    assert.deepEqual(extra, [], `the engine's AGENT_CODES has codes exitcodes.h does not define: ${extra.join(', ')}`);
  });
});
