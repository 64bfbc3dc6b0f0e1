/**
 * Test helpers for the operator area: one operator, added through the test CA's management
 * server with the `OperatorService` that `certwizard-ca add-operator` uses.
 */
import type { TestCa } from './test-ca.js';

/** The test operator's address. */
export const OPERATOR = 'ops@ca.example';
/** The test operator's password. */
export const OPERATOR_PASSWORD = 'operator password 1';

/** Adds the test operator (the test CA's cheap hash). */
export function addOperator(ca: TestCa): Promise<void> {
  return ca.addOperator(OPERATOR, OPERATOR_PASSWORD);
}
