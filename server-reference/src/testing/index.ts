/**
 * Test support of the reference CA, for every suite of the repository:
 * `import { startTestCa } from '@certwizard/server-reference/testing'`. Not for production use.
 * @packageDocumentation
 */
export { startTestCa, type TestCa, type TestCaOptions, type TestMail } from './test-ca.js';
export {
  type Certmonger,
  type ProgramResult,
  type RunProgramOptions,
  SCEP_SUBMIT,
  scepSubmit,
  startCertmonger,
  type StartCertmongerOptions,
  type TrackedRequest,
} from './certmonger.js';
