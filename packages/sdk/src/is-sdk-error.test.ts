import { AgentError, AgentListenError, AgentTimeoutError } from '@certwizard/agent';
import { PkiError } from '@certwizard/pki';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { SDK_ERROR_CODES, type SdkErrorCode } from './error-codes.js';
import { CaUnreachableError, RegistrationAbortedError, SdkError } from './errors.js';
import { EnrollmentLockedError } from './flow/errors.js';
import * as sdk from './index.js';
import { InstallAbortedError, InstallError } from './install/errors.js';
import { isSdkError, type AnySdkError } from './is-sdk-error.js';
import { SAMPLE_ERRORS } from './test-support/sample-errors.js';

/** Export names that are another name for a class exported under its own name. */
const ALIASES: Record<string, string> = { InstallAbortedError: 'RegistrationAbortedError' };

/** Every error class the package exports, by export name. */
const exportedErrorClasses = Object.entries(sdk as Record<string, unknown>).filter(
  (entry): entry is [string, abstract new (...args: never[]) => Error] => typeof entry[1] === 'function' && entry[1].prototype instanceof Error,
);

describe('SDK_ERROR_CODES', () => {
  it('lists each code once', () => {
    expect(new Set(SDK_ERROR_CODES).size).toBe(SDK_ERROR_CODES.length);
  });

  it.each(SDK_ERROR_CODES.map((code) => ({ code })))('$code: an error carries it, named after its class, recognised by isSdkError', ({ code }) => {
    const error = SAMPLE_ERRORS[code]();
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.name).toBe(error.constructor.name);
    expect(isSdkError(error)).toBe(true);
    expect(isSdkError(error, code)).toBe(true);
  });

  it('has a code for every exported error class, and its instances are named after the class', () => {
    const sampleClasses = new Map(SDK_ERROR_CODES.map((code) => [SAMPLE_ERRORS[code]().constructor, code]));
    expect(exportedErrorClasses.length).toBeGreaterThan(25);
    for (const [exportName, errorClass] of exportedErrorClasses) {
      const code = sampleClasses.get(errorClass);
      expect(code, `${exportName} has no sample, so its code is not known to be in SDK_ERROR_CODES`).toBeDefined();
      expect(SAMPLE_ERRORS[code as SdkErrorCode]().name).toBe(ALIASES[exportName] ?? exportName);
    }
  });

  it("has one class per code (so ERR_SDK_ABORTED has one class): the exported ones and the agent's listen error", () => {
    const classes = new Set([...exportedErrorClasses.map(([, errorClass]) => errorClass), AgentListenError]);
    expect(classes.size).toBe(SDK_ERROR_CODES.length);
  });
});

describe('the one aborted error', () => {
  it('InstallAbortedError is another name for RegistrationAbortedError', () => {
    expect(InstallAbortedError).toBe(RegistrationAbortedError);
    const error = new InstallAbortedError('install was aborted', { cause: 'stop' });
    expect(error).toBeInstanceOf(RegistrationAbortedError);
    expect(error).not.toBeInstanceOf(InstallError);
    expect(error).toMatchObject({ name: 'RegistrationAbortedError', code: 'ERR_SDK_ABORTED', cause: 'stop' });
  });
});

describe('isSdkError', () => {
  const cases: { name: string; input: unknown; code?: SdkErrorCode; want: boolean }[] = [
    { name: 'an SDK error', input: SAMPLE_ERRORS.ERR_SDK_CA_UNREACHABLE(), want: true },
    { name: 'an SDK error with its code', input: SAMPLE_ERRORS.ERR_SDK_CA_UNREACHABLE(), code: 'ERR_SDK_CA_UNREACHABLE', want: true },
    { name: 'an SDK error with another code', input: SAMPLE_ERRORS.ERR_SDK_CA_UNREACHABLE(), code: 'ERR_SDK_CA_PROTOCOL', want: false },
    { name: "the agent's listen error register() passes through", input: new AgentListenError('port taken'), code: 'ERR_AGENT_LISTEN', want: true },
    { name: 'another agent error', input: new AgentTimeoutError('no callback'), want: false },
    { name: 'a bare agent error', input: new AgentError('agent'), want: false },
    { name: 'a PKI error', input: new PkiError('bad DER'), want: false },
    { name: 'a TypeError (misuse)', input: new TypeError('caUrl must be a string'), want: false },
    { name: 'a plain Error', input: new Error('boom'), want: false },
    { name: 'a plain object with an SDK code', input: { code: 'ERR_SDK_CA_UNREACHABLE', message: 'm' }, want: false },
    { name: 'an Error given an SDK code', input: Object.assign(new Error('m'), { code: 'ERR_SDK_CA_UNREACHABLE' }), want: false },
    { name: 'undefined', input: undefined, want: false },
    { name: 'null', input: null, want: false },
    { name: 'a string', input: 'ERR_SDK_CA_UNREACHABLE', want: false },
  ];
  it.each(cases)('$name: $want', ({ input, code, want }) => {
    expect(isSdkError(input, code)).toBe(want);
  });

  it('refuses a code outside the list, as a JavaScript caller may pass one', () => {
    expect(isSdkError(new AgentTimeoutError('no callback'), 'ERR_AGENT_TIMEOUT' as SdkErrorCode)).toBe(false);
  });

  it('narrows to the class of the code, and to the union without one', () => {
    const caught: unknown = new EnrollmentLockedError('locked', { lockPath: '/tmp/x.lock', holderPid: 1 });
    if (isSdkError(caught, 'ERR_SDK_ENROLLMENT_LOCKED')) {
      expectTypeOf(caught).toEqualTypeOf<EnrollmentLockedError>();
      expectTypeOf(caught.lockPath).toEqualTypeOf<string>();
    }
    if (isSdkError(caught, 'ERR_SDK_CA_UNREACHABLE')) expectTypeOf(caught).toEqualTypeOf<CaUnreachableError>();
    if (isSdkError(caught, 'ERR_AGENT_LISTEN')) expectTypeOf(caught).toEqualTypeOf<AgentListenError>();
    if (isSdkError(caught, 'ERR_SDK_ABORTED')) expectTypeOf(caught).toEqualTypeOf<RegistrationAbortedError>();
    if (isSdkError(caught, 'ERR_SDK')) expectTypeOf(caught).toEqualTypeOf<SdkError & { readonly code: 'ERR_SDK' }>();
    if (isSdkError(caught)) {
      expectTypeOf(caught).toEqualTypeOf<AnySdkError>();
      if (caught.code === 'ERR_SDK_ENROLL_TIMEOUT') expectTypeOf(caught.requestId).toEqualTypeOf<string | undefined>();
    }
    // @ts-expect-error a code outside the closed set does not compile
    isSdkError(caught, 'ERR_SDK_NO_SUCH_CODE');
    expectTypeOf<SdkErrorCode>().toEqualTypeOf<AnySdkError['code']>();
    expectTypeOf<(typeof SDK_ERROR_CODES)[number]>().toEqualTypeOf<SdkErrorCode>();
  });
});
