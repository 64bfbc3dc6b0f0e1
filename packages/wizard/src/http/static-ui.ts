/**
 * The built browser app (wizard-ui/dist), read into memory once when the wizard starts: a few
 * small files, so every answer is a map lookup and no request path ever reaches the file system.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { WizardUiMissingError } from '../errors.js';

/** One file of the app. */
export interface UiFile {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The app's files by URL path (`/`, `/assets/index-3f2a.js`, ...). */
export type StaticUi = ReadonlyMap<string, UiFile>;

/** Most files and bytes read: the app is a page, a script, a stylesheet and a few images. */
const MAX_FILES = 200;
const MAX_TOTAL_BYTES = 20 * 1024 * 1024;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** `dist/` of the installed `@certwizard/wizard-ui` package. */
export function defaultUiDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@certwizard/wizard-ui/package.json')), 'dist');
}

/**
 * Reads every file below `dir` whose type the app uses (others, such as source maps, are left out).
 * @throws {WizardUiMissingError} `ERR_WIZARD_UI_MISSING` when `dir/index.html` is not there.
 */
export async function loadStaticUi(dir: string): Promise<StaticUi> {
  try {
    if (!(await stat(join(dir, 'index.html'))).isFile()) throw new Error('not a file');
  } catch (error) {
    throw new WizardUiMissingError(`the browser app is not built: ${join(dir, 'index.html')} is missing (run \`npm run build -w @certwizard/wizard-ui\`)`, {
      cause: error,
    });
  }
  const files = new Map<string, UiFile>();
  let total = 0;
  for (const path of (await readdir(dir, { recursive: true })).sort()) {
    const contentType = CONTENT_TYPES[extname(path).toLowerCase()];
    const full = join(dir, path);
    if (contentType === undefined || !(await stat(full)).isFile()) continue;
    const body = await readFile(full);
    total += body.length;
    if (files.size >= MAX_FILES || total > MAX_TOTAL_BYTES)
      throw new WizardUiMissingError(`${dir} holds more than the wizard serves (${MAX_FILES} files, ${MAX_TOTAL_BYTES} bytes)`);
    files.set(`/${relative(dir, full).split(sep).join('/')}`, { body, contentType });
  }
  const index = files.get('/index.html');
  if (index !== undefined) files.set('/', index);
  return files;
}
