/**
 * Setup steps shared by `npm start`, `npm test`, `npm run bench` and CI: install the npm
 * dependencies when they are missing or out of date, build the TypeScript project references
 * and the wizard's browser app (Vite), and install the Debian packages a suite talks to
 * (openssl, chromium, swaks, ...).
 *
 * Node built-ins only: this file runs before `node_modules` exists on a fresh clone.
 * Nothing runs at import time.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: two levels above this file (scripts/lib/). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A setup step failed. `code` is stable so callers can branch on it:
 * `NPM_CI_FAILED`, `LOCKFILE_UNREADABLE`, `LOCKFILE_OUT_OF_SYNC`, `BUILD_FAILED`, `APT_FAILED`,
 * `SYSTEM_PACKAGES_MISSING`, `SPAWN_FAILED`.
 */
export class SetupError extends Error {
  /**
   * @param {string} code stable identifier of the failed step
   * @param {string} message what failed and what to do about it
   * @param {{ cause?: unknown }} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'SetupError';
    this.code = code;
  }
}

/**
 * Runs a command with its output streamed to ours (stdin is not passed: CI has none, and none
 * of these steps should ever wait for a person).
 *
 * @param {string} command program name, looked up on PATH
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, code: string, what: string }} options
 *   `code` and `what` name the step in the SetupError thrown on failure
 * @returns {Promise<void>} resolves when the command exits with status 0
 * @throws {SetupError} with `options.code` when it exits non-zero or is killed;
 *   `SPAWN_FAILED` when it cannot be started at all
 */
function run(command, args, { cwd = repoRoot, env = process.env, code, what }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (error) => {
      reject(new SetupError('SPAWN_FAILED', `${what}: could not start \`${command}\`: ${error.message}`, { cause: error }));
    });
    child.on('close', (status, signal) => {
      if (status === 0) return resolve();
      const how = signal ? `was killed by ${signal}` : `exited with status ${status}`;
      reject(new SetupError(code, `${what} failed: \`${[command, ...args].join(' ')}\` ${how} (output above)`));
    });
  });
}

/**
 * Tells why `node_modules` does not match `package-lock.json`, or returns null when it does.
 *
 * Compared by content, not by mtime: `git clone`, `git checkout` and `git stash pop` set a
 * file's mtime to "now" whatever its content, so an mtime test reinstalls for nothing after a
 * branch switch and misses nothing a content test would catch. npm's hidden lockfile
 * (`node_modules/.package-lock.json`, written by every `npm ci`/`npm install`) is not a byte
 * copy of `package-lock.json`: it lacks the root entry `""` and every optional package that was
 * not installed (other platforms' binaries such as `@rolldown/binding-darwin-arm64`), so the two
 * files are compared entry by entry. The whole check takes a few milliseconds.
 *
 * @param {string} [root] repository root
 * @returns {string | null} a short reason such as "node_modules/vitest is missing", or null
 */
export function installStaleness(root = repoRoot) {
  const lockPath = join(root, 'package-lock.json');
  const hiddenPath = join(root, 'node_modules', '.package-lock.json');
  let lock;
  try {
    lock = JSON.parse(readFileSync(lockPath, 'utf8'));
  } catch (error) {
    throw new SetupError('LOCKFILE_UNREADABLE', `cannot read ${lockPath}: ${error.message}`, { cause: error });
  }
  let hidden;
  try {
    hidden = JSON.parse(readFileSync(hiddenPath, 'utf8'));
  } catch {
    return 'node_modules/.package-lock.json is missing (never installed, or installed by another tool)';
  }
  const want = lock.packages ?? {};
  const have = hidden.packages ?? {};
  for (const [path, entry] of Object.entries(want)) {
    if (path === '') continue;
    if (!(path in have)) {
      // An optional package may be absent: it is for another platform, or failed to build.
      if (entry.optional) continue;
      return `${path} is in package-lock.json but not installed`;
    }
    if (JSON.stringify(entry) !== JSON.stringify(have[path])) return `${path} differs from package-lock.json`;
  }
  for (const path of Object.keys(have)) {
    if (!(path in want)) return `${path} is installed but no longer in package-lock.json`;
  }
  // The hidden lockfile says what npm installed, not what is still there: catch a folder
  // removed by hand (`rm -rf node_modules/vitest`). Workspace entries are links to folders
  // that are in the repository, so checking them is harmless.
  for (const path of Object.keys(have)) {
    if (!path.startsWith('node_modules/')) continue;
    try {
      statSync(join(root, path));
    } catch {
      return `${path} is missing`;
    }
  }
  return null;
}

/**
 * Makes the working tree ready to run: installs the npm dependencies when `node_modules` is
 * missing or stale (see {@link installStaleness}), then runs `tsc -b`, which is incremental
 * (tsbuildinfo) and takes a few seconds when nothing changed.
 *
 * `npm ci` first: it installs exactly the lockfile and never rewrites it, so a test run cannot
 * change a tracked file. `--include=dev` because tests, the build and the benches need the dev
 * dependencies even when NODE_ENV=production is set; it also keeps the hidden lockfile
 * comparable with package-lock.json, or the next run would install again.
 *
 * @param {{ log?: (message: string) => void, root?: string }} [options]
 *   `log` receives one-line progress messages (default: stderr, so a caller's stdout stays its
 *   own); `root` is the repository root (default: two levels above this file)
 * @returns {Promise<{ installed: boolean }>} whether an install ran
 * @throws {SetupError} `NPM_CI_FAILED` when the install fails, `LOCKFILE_OUT_OF_SYNC` when it
 *   ends with node_modules still not matching package-lock.json, `BUILD_FAILED` when tsc fails
 * @example
 *   await ensureInstalled({ log: (m) => console.error(m) });
 */
export async function ensureInstalled({ log = defaultLog, root = repoRoot } = {}) {
  const reason = installStaleness(root);
  if (reason) {
    log(`installing dependencies with npm ci: ${reason}`);
    await run('npm', ['ci', '--include=dev', '--no-audit', '--no-fund'], {
      cwd: root,
      code: 'NPM_CI_FAILED',
      what: 'npm ci',
    });
    const still = installStaleness(root);
    if (still) {
      throw new SetupError(
        'LOCKFILE_OUT_OF_SYNC',
        `node_modules does not match package-lock.json after installing (${still}): ` + 'run `npm install` and commit the updated package-lock.json',
      );
    }
  }
  log('building: tsc -b');
  // --no-install: never let npx fetch a different TypeScript from the registry.
  await run('npx', ['--no-install', 'tsc', '-b'], {
    cwd: root,
    code: 'BUILD_FAILED',
    what: 'TypeScript build (tsc -b)',
  });
  const uiReason = wizardUiStaleness(root);
  if (uiReason) {
    log(`building the wizard's browser app (vite build): ${uiReason}`);
    // Through npm, so that the workspace's own vite (7.x, in wizard-ui/node_modules) is the one run.
    await run('npm', ['run', '--silent', 'build', '-w', '@certwizard/wizard-ui'], {
      cwd: root,
      code: 'BUILD_FAILED',
      what: "the wizard's browser app build (vite build)",
    });
  }
  return { installed: reason !== null };
}

/**
 * Tells why wizard-ui/dist must be built again, or returns null when it is up to date: like
 * make, by modification time, since the build writes every file of dist/ anew (a checkout that
 * touches the sources only costs one build of about a second). Null too when the repository has
 * no wizard-ui (an older checkout).
 *
 * @param {string} [root] repository root
 * @returns {string | null}
 */
export function wizardUiStaleness(root = repoRoot) {
  const dir = join(root, 'wizard-ui');
  if (!existsSync(join(dir, 'package.json'))) return null;
  let builtAt;
  try {
    builtAt = statSync(join(dir, 'dist', 'index.html')).mtimeMs;
  } catch {
    return 'wizard-ui/dist/index.html is missing';
  }
  const sources = ['index.html', 'vite.config.ts', 'package.json'].map((name) => join(dir, name));
  for (const folder of ['src', 'public']) {
    if (!existsSync(join(dir, folder))) continue;
    for (const entry of readdirSync(join(dir, folder), { recursive: true })) sources.push(join(dir, folder, String(entry)));
  }
  for (const source of sources) {
    let stat;
    try {
      stat = statSync(source);
    } catch {
      continue;
    }
    if (stat.isFile() && stat.mtimeMs > builtAt) return `${relative(root, source)} is newer than the build`;
  }
  return null;
}

/**
 * Finds an executable on PATH, as `command -v` would, without starting a shell.
 *
 * @param {string} binary name such as "openssl"
 * @returns {string | null} its full path, or null
 */
function findOnPath(binary) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

/**
 * Installs the Debian packages whose programs are missing from PATH. The peers the suites talk
 * to (openssl, chromium, swaks, gnome-keyring, ...) are Debian packages, and a new machine has
 * only what the project's own files install, so the test script installs them itself.
 *
 * As root (developers' machines and CI here): `apt-get update` once, then one
 * `apt-get install -y --no-install-recommends` for all missing packages, non-interactive
 * because CI has no standard input. Otherwise it cannot install, and says what to install.
 *
 * @param {{ binary: string, pkg: string }[]} packages program looked for on PATH, and the
 *   Debian package that provides it
 * @param {{ log?: (message: string) => void }} [options] `log` as for {@link ensureInstalled}
 * @returns {Promise<string[]>} the packages that were installed (empty when nothing was missing)
 * @throws {SetupError} `SYSTEM_PACKAGES_MISSING` when not root, naming the packages;
 *   `APT_FAILED` when apt-get fails, or the programs are still missing afterwards
 * @example
 *   await ensureDebianPackages([{ binary: 'openssl', pkg: 'openssl' }], { log: console.error });
 */
export async function ensureDebianPackages(packages, { log = defaultLog } = {}) {
  if (!Array.isArray(packages)) throw new TypeError('ensureDebianPackages: packages must be an array');
  const missing = packages.filter(({ binary }) => findOnPath(binary) === null);
  if (missing.length === 0) return [];
  const pkgs = [...new Set(missing.map(({ pkg }) => pkg))];
  const binaries = missing.map(({ binary }) => binary).join(', ');
  if (process.getuid?.() !== 0) {
    throw new SetupError('SYSTEM_PACKAGES_MISSING', `missing programs: ${binaries}. Install them with: sudo apt-get install -y ${pkgs.join(' ')}`);
  }
  log(`installing Debian packages for ${binaries}: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { env, code: 'APT_FAILED', what: 'apt-get update' });
  await run('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
    env,
    code: 'APT_FAILED',
    what: `apt-get install ${pkgs.join(' ')}`,
  });
  // A package name that installs but does not provide the binary is a mistake in the table.
  const still = missing.filter(({ binary }) => findOnPath(binary) === null);
  if (still.length > 0) {
    const list = still.map(({ binary, pkg }) => `${binary} (from ${pkg})`).join(', ');
    throw new SetupError('APT_FAILED', `installed ${pkgs.join(' ')} but still not on PATH: ${list}`);
  }
  return pkgs;
}

/** @param {string} message */
function defaultLog(message) {
  process.stderr.write(`[setup] ${message}\n`);
}
