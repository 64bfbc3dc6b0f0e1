/**
 * A small command-line parser: node's util.parseArgs cannot take an option with two values
 * (`-f C US`), which `create-identity` follows from the issue's interface.
 */
import { ConfigError } from './errors.js';

/** One option a command accepts. */
export interface OptionSpec {
  readonly name: string;
  readonly short?: string;
  /** Values the option takes: 0 (a flag), 1 or 2. */
  readonly arity: 0 | 1 | 2;
  readonly repeatable?: boolean;
}

/** Parsed options: flags as true, values as strings, repeatables as arrays of value lists. */
export type ParsedOptions = Record<string, string | boolean | string[][] | undefined>;

/**
 * Parses `argv` against `specs`. `--name=value` is accepted for single-value options.
 * @throws {ConfigError} `ERR_CA_CONFIG` for unknown options, missing values or stray words.
 */
export function parseArgv(argv: readonly string[], specs: readonly OptionSpec[]): ParsedOptions {
  const out: ParsedOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const key = eq > 0 ? token.slice(0, eq) : token;
    const spec = specs.find((s) => `--${s.name}` === key || (s.short && `-${s.short}` === key));
    if (!spec) throw new ConfigError(`unknown option or argument: ${token}`);
    if (spec.arity === 0) {
      out[spec.name] = true;
      continue;
    }
    let values: string[];
    if (eq > 0) {
      if (spec.arity !== 1) throw new ConfigError(`--${spec.name} takes ${spec.arity} values`);
      values = [token.slice(eq + 1)];
    } else {
      values = argv.slice(i + 1, i + 1 + spec.arity) as string[];
      if (values.length < spec.arity || values.some((v) => v.startsWith('-') && v.length > 1 && !/^-\d/.test(v))) {
        throw new ConfigError(`${token} needs ${spec.arity === 1 ? 'a value' : `${spec.arity} values`}`);
      }
      i += spec.arity;
    }
    if (spec.repeatable) {
      const list = (out[spec.name] as string[][] | undefined) ?? [];
      list.push(values);
      out[spec.name] = list;
    } else {
      if (out[spec.name] !== undefined) throw new ConfigError(`--${spec.name} is given twice`);
      out[spec.name] = values[0];
    }
  }
  return out;
}
