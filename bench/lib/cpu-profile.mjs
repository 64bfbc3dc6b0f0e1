/**
 * Summarises a V8 `.cpuprofile` (as written by `node --cpu-prof`) into the functions and the
 * packages that used the most self time, so a bench run can say where the server's time went
 * without anyone opening DevTools.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One line of a summary.
 * @typedef {object} SelfTime
 * @property {string} name function name, or V8's "(program)", "(garbage collector)", "(idle)"
 * @property {string} where source, shortened to the part after node_modules/ or the repository
 * @property {number} ms self time in milliseconds
 * @property {number} share fraction of all sampled time, 0 to 1
 */

/**
 * Shortens a script URL to something readable in a table.
 * @param {string} url e.g. file:///work/main/node_modules/express/lib/router.js
 * @returns {string}
 */
function shortUrl(url) {
  if (!url) return '';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) return url.slice(nm + '/node_modules/'.length);
  for (const marker of ['/packages/', '/server-reference/']) {
    const at = url.indexOf(marker);
    if (at !== -1) return url.slice(at + 1);
  }
  return url;
}

/**
 * Which package a script belongs to: "node:*" for Node's own JavaScript, the npm package name
 * under node_modules, the workspace folder for ours, "(native/V8)" for frames without a script.
 * @param {string} url
 * @returns {string}
 */
function packageOf(url) {
  if (!url) return '(native/V8)';
  if (url.startsWith('node:')) return 'node:*';
  const short = shortUrl(url);
  if (short !== url) {
    const parts = short.split('/');
    if (url.includes('/node_modules/')) return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
    return parts[0] === 'packages' ? `packages/${parts[1]}` : (parts[0] ?? url);
  }
  return url;
}

/**
 * Adds up self time per function and per package.
 *
 * Sample i lasts until sample i + 1 (`timeDeltas[i + 1]`), which is how DevTools attributes it.
 *
 * @param {{ nodes: { id: number, callFrame: { functionName: string, url: string, lineNumber: number } }[],
 *   samples: number[], timeDeltas: number[] }} profile a parsed .cpuprofile
 * @param {{ limit?: number }} [options] how many functions to return (default 15)
 * @returns {{ totalMs: number, functions: SelfTime[], packages: { name: string, ms: number, share: number }[] }}
 */
export function summariseProfile(profile, { limit = 15 } = {}) {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const perNode = new Map();
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i + 1] ?? 0;
    totalUs += us;
    perNode.set(profile.samples[i], (perNode.get(profile.samples[i]) ?? 0) + us);
  }
  const perFunction = new Map();
  const perPackage = new Map();
  for (const [id, us] of perNode) {
    const frame = frames.get(id);
    if (!frame) continue;
    const name = frame.functionName || '(anonymous)';
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${name}\u0000${where}`;
    const entry = perFunction.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    perFunction.set(key, entry);
    const pkg = frame.url ? packageOf(frame.url) : name.startsWith('(') ? name : '(native/V8)';
    perPackage.set(pkg, (perPackage.get(pkg) ?? 0) + us);
  }
  const share = (us) => (totalUs > 0 ? us / totalUs : 0);
  return {
    totalMs: totalUs / 1000,
    functions: [...perFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, limit)
      .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, share: share(f.us) })),
    packages: [...perPackage.entries()].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000, share: share(us) })),
  };
}

/**
 * Reads the newest `.cpuprofile` in a directory (node names them by time and pid).
 * @param {string} dir the directory given to `--cpu-prof-dir`
 * @returns {object} the parsed profile
 * @throws {Error} when the directory holds no profile (the process did not exit normally)
 */
export function readNewestProfile(dir) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  const newest = files.at(-1);
  if (!newest) throw new Error(`no .cpuprofile in ${dir}`);
  return JSON.parse(readFileSync(join(dir, newest), 'utf8'));
}
