/**
 * Every row of every table, and the row counts: what the test-only management server answers,
 * so that tests compare stored state ("a refusal changed nothing") without opening the database
 * file.
 */
import type { Db } from './database.js';

/**
 * Tables left out: `rate_limits` counts requests (every request of a limited endpoint, refused
 * or not, updates a bucket), it records nothing about accounts, requests or certificates, and
 * "a refusal changed nothing" is about those. Its own tests read it directly.
 */
const NOT_STATE = new Set(['rate_limits']);

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
