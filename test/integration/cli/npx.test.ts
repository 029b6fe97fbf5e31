import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * `npx bot4 …` exactly as the README tells a user to type it, from the repository root after
 * `npm ci`. npm 11 with `strict-allow-scripts=true` (our .npmrc) refuses to run a package whose
 * install-time scripts are not approved, and `npx` installs the project itself into its npx cache
 * (a link) before running its bin. npx ignores package.json `allowScripts` (npm RFC 868: only
 * .npmrc and the command line count for exec), and a name key never matches a directory package
 * anyway, so the project must not have install-time scripts at all: the addon is built by the
 * root-only `postprepare` lifecycle of `npm ci`/`npm install` instead (see docs/daemon.md).
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function npx(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('npx', args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`npx ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    p.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    p.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npx bot4 (as a user runs it)', function () {
  this.timeout(180_000);
  let cache = '';

  before(() => {
    // a fresh npm cache: the npx cache is empty, as on a machine that never ran `npx bot4`
    cache = mkdtempSync(path.join(tmpdir(), 'bot4-npx-cache-'));
  });
  after(() => {
    rmSync(cache, { recursive: true, force: true });
  });

  it('the project has no install-time script npm would gate (the addon builds in postprepare)', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; gypfile?: boolean; bin: Record<string, string> };
    for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(pkg.scripts[s], undefined, `package.json scripts.${s} would make npx refuse the project under strict-allow-scripts`);
    // binding.gyp alone makes npm synthesize `install: node-gyp rebuild`
    assert.equal(pkg.gypfile, false);
    assert.match(pkg.scripts.postprepare ?? '', /native\/build\.mjs/);
    assert.equal(pkg.bin.bot4, 'bin/bot4.js');
    assert.match(readFileSync(path.join(ROOT, '.npmrc'), 'utf8'), /^strict-allow-scripts=true$/m);
  });

  it('`npx bot4 --help` prints the help with every command, exit 0, under strict-allow-scripts', async () => {
    const r = await npx(['bot4', '--help'], { npm_config_cache: cache, npm_config_strict_allow_scripts: 'true', npm_config_update_notifier: 'false', npm_config_yes: 'false' });
    assert.doesNotMatch(r.stderr, /ESTRICTALLOWSCRIPTS/);
    assert.equal(r.code, 0, `exit code; stderr:\n${r.stderr}`);
    assert.match(r.stdout, /^Usage: bot4 \[options\] \[command\]/m);
    for (const c of ['sim', 'daemon', 'status', 'orders', 'positions', 'kill', 'config', 'chaos']) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'), `help lists ${c}`);
  });

  it('`npx bot4 config check` runs a command end to end', async () => {
    const r = await npx(['bot4', 'config', 'check'], { npm_config_cache: cache, npm_config_strict_allow_scripts: 'true', npm_config_update_notifier: 'false', BOT4_LOG_LEVEL: 'warn' });
    assert.equal(r.code, 0, `exit code; stderr:\n${r.stderr}`);
    assert.match(r.stdout, /^config OK$/m);
  });
});
