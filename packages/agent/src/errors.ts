/**
 * Typed errors of the callback agent. Every error carries a stable `code`; codes are API: they
 * are added, never renamed. Messages never contain the flow's secret or the callback URLs.
 *
 * @packageDocumentation
 */

/** Base class of every error the agent rejects a promise with. */
export class AgentError extends Error {
  /** Stable machine-readable code, e.g. `ERR_AGENT_TIMEOUT`. */
  readonly code: string = 'ERR_AGENT';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No valid callback arrived within the `timeoutMs` given to `waitForCallback`. */
export class AgentTimeoutError extends AgentError {
  override readonly code = 'ERR_AGENT_TIMEOUT';
}

/** An `AbortSignal` given to the agent or to `waitForCallback` was aborted; `cause` is its reason. */
export class AgentAbortedError extends AgentError {
  override readonly code = 'ERR_AGENT_ABORTED';
}

/** The agent was closed before a valid callback arrived. */
export class AgentClosedError extends AgentError {
  override readonly code = 'ERR_AGENT_CLOSED';
}

/** The agent could not listen on 127.0.0.1 (the fixed port is taken, ...); `cause` is the socket error. */
export class AgentListenError extends AgentError {
  override readonly code = 'ERR_AGENT_LISTEN';
}
