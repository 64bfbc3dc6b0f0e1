/**
 * Test helpers for the operator area: one operator, added as `add-operator` does, on a second
 * connection to the running CA's database.
 */
import { createSqlDatabase, OperatorService, OperatorStore, openDatabase } from '@certwizard/server-reference';
import type { TestCa } from './test-ca.js';

/** The test operator's address. */
export const OPERATOR = 'ops@ca.example';
/** The test operator's password. */
export const OPERATOR_PASSWORD = 'operator password 1';

/** Adds the test operator (cheap hash). */
export async function addOperator(ca: TestCa): Promise<void> {
  const db = openDatabase(ca.dataDir);
  try {
    await new OperatorService(new OperatorStore(createSqlDatabase(db)), { scryptN: 2 ** 10 }).create(OPERATOR, OPERATOR_PASSWORD);
  } finally {
    db.close();
  }
}
