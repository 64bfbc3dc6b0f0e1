/**
 * Queries built with Kysely once and run many times with new values: Kysely builds and compiles
 * a query on every call (tens of microseconds each), which the issuance path, at a few queries
 * per certificate, notices. The SQL is the builder's, so it stays portable across dialects.
 */
import type { Compilable, CompiledQuery } from 'kysely';

/** Marks a value to be filled in per call: `slot('serial')` where a value goes. */
export type Slot<K extends string> = <T = never>(name: K) => T;

const SLOT_PREFIX = '\u0000slot:';

/**
 * Compiles `build` once, with a marker in each slot, and returns a function that makes the
 * compiled query for given slot values (the parameters in the compiled order; constants stay).
 * @throws {TypeError} when a slot does not appear among the compiled parameters (it was used
 *   where Kysely inlines instead of binding).
 * @example
 * const bySerial = precompile<'serial', Row>((slot) => db.selectFrom('certificates').selectAll().where('serial_hex', '=', slot('serial')));
 * const { rows } = await db.executeQuery(bySerial({ serial: '0a' }));
 */
export function precompile<K extends string, R = unknown>(build: (slot: Slot<K>) => Compilable<R>): (values: Readonly<Record<K, unknown>>) => CompiledQuery<R> {
  const used = new Set<K>();
  const slot = (<T>(name: K): T => {
    used.add(name);
    return `${SLOT_PREFIX}${name}` as T;
  }) as Slot<K>;
  const compiled = build(slot).compile();
  const positions = compiled.parameters.map((p) => (typeof p === 'string' && p.startsWith(SLOT_PREFIX) ? (p.slice(SLOT_PREFIX.length) as K) : undefined));
  for (const name of used) if (!positions.includes(name)) throw new TypeError(`slot ${name} is not a bound parameter of the compiled query`);
  return (values) => ({ ...compiled, parameters: positions.map((name, i) => (name === undefined ? compiled.parameters[i] : values[name])) });
}
