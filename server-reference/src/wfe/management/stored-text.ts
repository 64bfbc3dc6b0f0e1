/**
 * The management server's one write below the CA's policy: overwriting free text of a stored row
 * as a CA from before a validation rule could have stored it (a name with a bidirectional
 * control, say). The CA's services refuse such text today, which is the point: a test of how the
 * pages show rows stored before a rule has no other way to make one. Only the columns listed
 * here, all free text a person or an installer typed, can be written; never a status, a hash, a
 * time or a key.
 */
import type { Db } from '../../store/database.js';

/** The writable columns, by table; each table's primary key is `id`. */
export const STORED_TEXT_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  accounts: ['first_name', 'middle_name', 'last_name'],
  installation_tokens: ['label'],
  certificate_requests: ['subject'],
};

/**
 * Overwrites text columns of the row `id` of `table`.
 * @param values - column name to its new text; at least one, each in {@link STORED_TEXT_COLUMNS}.
 * @returns whether a row had that id.
 * @throws {TypeError} for a table or column not in the list, or a value that is not a string.
 * @example
 * overwriteStoredText(db, 'installation_tokens', '1', { label: 'laptop\u200F' }); // true
 */
export function overwriteStoredText(db: Db, table: string, id: string, values: Record<string, unknown>): boolean {
  const allowed = Object.hasOwn(STORED_TEXT_COLUMNS, table) ? STORED_TEXT_COLUMNS[table] : undefined;
  if (allowed === undefined) throw new TypeError(`${table} has no writable text; writable: ${Object.keys(STORED_TEXT_COLUMNS).join(', ')}`);
  const columns = Object.keys(values);
  if (columns.length === 0) throw new TypeError('name at least one column');
  for (const column of columns) {
    if (!allowed.includes(column)) throw new TypeError(`${table}.${column} is not writable; writable: ${allowed.join(', ')}`);
    if (typeof values[column] !== 'string') throw new TypeError(`${table}.${column} must be a string`);
  }
  // Names come from the list above, never from the request as such.
  const assignments = columns.map((column) => `"${column}" = ?`).join(', ');
  const result = db.prepare(`UPDATE "${table}" SET ${assignments} WHERE id = ?`).run(...columns.map((column) => values[column] as string), id);
  return result.changes === 1;
}
