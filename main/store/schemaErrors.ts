// What opening a store says when its schema is newer than this console's migrations (SQLite in
// database.ts, PostgreSQL in pg/pgDatabase.ts): a newer console migrated it; an older one must
// not write to it.
export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(`The database is at schema version ${found}, newer than this console knows (${known}). Use a newer console.`);
    this.name = 'SchemaTooNewError';
  }
}
