/**
 * Test support: every row of every table, the picture "nothing changed" is compared against
 * when a refusal must leave stored state as it was.
 */
import type { Db } from '../database.js';

/** All rows of all tables, by table name, in rowid order. */
export function snapshotTables(db: Db): Record<string, unknown[]> {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as { name: string }[];
  return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
}
