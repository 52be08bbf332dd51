// Shared by test/support/crashWriter.ts (the child) and test/unit/databaseCrash.test.ts.
export const UNCOMMITTED_PREFIX = 'uncommitted-';
/** Rows inserted inside the open transaction before the child reports "mid-transaction". */
export const MID_TRANSACTION_ROWS = 50_000;
/** Targets per task in the stream mode: each commit is a computer, a task and this many targets. */
export const TARGETS_PER_TASK = 3;
