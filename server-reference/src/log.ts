/**
 * Structured logging: one JSON object per line. Fields whose names suggest a secret are
 * replaced before anything is written, so that a careless call cannot leak one.
 */

/** Log levels, in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A structured logger. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /pass|secret|token|nonce|private|key|authorization|cookie|challenge/i;
/**
 * PIN as a word of a field name (`pin`, `pinCode`, `scepPin`, `PIN`, `user_pin`), but not the
 * letters inside another word (`ping`, `mapping`, `shipping`), which would hide harmless fields.
 */
const PIN_FIELD = /(?:^|_)pin(?![a-z])|Pin(?![a-z])|PIN/;

const isSecretField = (key: string) => (SECRET_FIELD.test(key) || PIN_FIELD.test(key)) && !key.endsWith('Hash');

/** Replaces values of secret-looking fields, recursively, and reduces errors to name and code. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 5) return '[deep]';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, ...(typeof code === 'string' ? { code } : {}) };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretField(k) ? '[redacted]' : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

/**
 * Creates a logger writing JSON lines to `stream`.
 * @param options.level - least severe level written; default `info`.
 * @param options.now - clock, for tests; default `() => new Date()`.
 */
export function createLogger(stream: { write(chunk: string): unknown }, options: { level?: LogLevel; now?: () => Date } = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const now = options.now ?? (() => new Date());
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const record = { time: now().toISOString(), level, msg, ...(fields ? (redact(fields) as object) : {}) };
    stream.write(`${JSON.stringify(record)}\n`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
