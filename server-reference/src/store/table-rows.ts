/**
 * Every row of every table, and the row counts: what the test-only management server answers,
 * so that tests compare stored state ("a refusal changed nothing") without opening the database
 * file.
 */
import type { Db } from './database.js';

/**
 * Tables left out, as the CA's working state rather than what it records: `rate_limits` counts
 * requests (every request of a limited endpoint, refused or not, updates a bucket), and
 * `serial_reservations` holds a hook's fixed serials while their certificates are
 * being signed. "A refusal changed nothing" is about accounts, requests and
 * certificates; the tables' own tests read them directly.
 */
const NOT_STATE = new Set(['rate_limits', 'serial_reservations']);

function tableNames(db: Db): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[])
    .map((t) => t.name)
    .filter((name) => !NOT_STATE.has(name));
}

/**
 * All rows of all tables, by table name, in rowid order.
 * @example
 * tableRows(db).accounts.length;
 */
export function tableRows(db: Db): Record<string, unknown[]> {
  return Object.fromEntries(tableNames(db).map((name) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
}

/**
 * The number of rows of each table.
 * @example
 * tableCounts(db).certificates; // 0
 */
export function tableCounts(db: Db): Record<string, number> {
  return Object.fromEntries(tableNames(db).map((name) => [name, (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n]));
}
