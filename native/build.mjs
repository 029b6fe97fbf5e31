#!/usr/bin/env node
// Builds the N-API addon with node-gyp against the running Node's own headers, so no
// header download (and no network) is ever needed. BOT4_NATIVE=0 skips the build: the
// loader then runs the pure-TS twins and says so once.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.BOT4_NATIVE === '0' && !process.argv.includes('--force')) {
  console.log('bot4: BOT4_NATIVE=0, skipping the native build (TS twins will be used)');
  process.exit(0);
}
const require = createRequire(import.meta.url);
const gyp = require.resolve('node-gyp/bin/node-gyp.js');
const nodedir = path.resolve(process.execPath, '..', '..');
const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs=2'], {
  cwd: root,
  stdio: 'inherit',
});
if (r.status !== 0) {
  console.error(`bot4: native build failed (exit ${r.status}); set BOT4_NATIVE=0 to install without it`);
  process.exit(r.status ?? 1);
}
