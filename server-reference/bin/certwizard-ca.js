#!/usr/bin/env node
// Launcher for `certwizard-ca`. It is committed (not built) so that `npm ci` on a fresh clone,
// which runs before the TypeScript build, finds a file to link into node_modules/.bin.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('certwizard-ca: not built yet; run `npm run build` (npm start and npm test do it)\n');
  process.exit(1);
}
await import(entry.href);
