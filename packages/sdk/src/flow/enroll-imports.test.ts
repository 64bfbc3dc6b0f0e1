/**
 * The flow's core drives any method and imports none: flow/enroll.ts, and every module it reaches
 * through relative imports, stays out of methods/ (the package's enroll() supplies the default
 * method from flow/default-method.ts). Regression guard for the seam of issue #11, item 1.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const srcDir = resolve(import.meta.dirname, '..');

/** The relative imports (static, dynamic, type-only) of the module at `file`, as source files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] ?? '');
  return specifiers.map((s) => join(dirname(file), s.replace(/\.js$/, '.ts')));
}

/** Every source module `entry` reaches through relative imports, itself included. */
function reachable(entry: string): string[] {
  const seen = new Set<string>();
  const todo = [entry];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    todo.push(...importsOf(file));
  }
  return [...seen].map((f) => relative(srcDir, f)).sort();
}

describe("the flow's core", () => {
  it('reaches no module under methods/', () => {
    const modules = reachable(join(srcDir, 'flow', 'enroll.ts'));
    expect(modules).toContain('enroll/enrollment-method.ts');
    expect(modules.filter((m) => m.startsWith('methods/'))).toEqual([]);
  });

  it('the check sees an import of a method (the public entry imports the CAcert one)', () => {
    expect(reachable(join(srcDir, 'flow', 'default-method.ts'))).toContain('methods/cacert/cacert-method.ts');
  });
});
