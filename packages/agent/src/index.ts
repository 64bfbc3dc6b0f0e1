/**
 * The localhost callback agent of certwizard: receives the CA's `continue` and `error` callbacks
 * for one enrollment flow on 127.0.0.1.
 * @packageDocumentation
 */
export {
  startCallbackAgent,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_HEADER_BYTES,
  type CallbackAgent,
  type CallbackAgentEvent,
  type CallbackAgentOptions,
  type CallbackResult,
  type WaitForCallbackOptions,
} from './callback-agent.js';
export { CALLBACK_PAGE_TEXT_MAX_LENGTH, DEFAULT_CALLBACK_PAGE_TEXTS, type CallbackPageTexts } from './callback-page.js';
export {
  CALLBACK_MAX_PARAMS,
  CALLBACK_MAX_PARAM_LENGTH,
  CALLBACK_SINGLE_PARAMS,
  REFUSAL_STATUS,
  type CallbackKind,
  type RefusalReason,
} from './callback-request.js';
export * from './errors.js';
