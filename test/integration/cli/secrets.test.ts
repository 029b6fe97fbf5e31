import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sign } from '../../../simulators/wire/auth.js';
import { BOT4, ROOT, runCli, until } from '../daemon/harness.js';

/*
 * Secrets never reach output: validation messages of `bot4 config check` (tokens from the file
 * and from BOT4_GATEWAY_TOKENS, venue secrets of any type, whole entries echoed for an unknown key)
 * and `bot4 sim`'s secret, which comes from a file or the environment instead of the process list.
 */

const SECRET = 'SuperSecret-15c';

describe('secrets stay out of output (CLI)', function () {
  this.timeout(120_000);
  let dir = '';
  const children: ChildProcess[] = [];

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bot4-secrets-'));
  });
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function check(name: string, yaml: string, env: Record<string, string> = {}): Promise<string> {
    const file = path.join(dir, name);
    writeFileSync(file, yaml);
    const r = await runCli(['config', 'check', '--config', file], { env });
    assert.equal(r.code, 2, `exit 2; stdout ${r.stdout} stderr ${r.stderr}`);
    assert.match(r.stderr, /^bot4: B4_CONFIG_INVALID: /);
    return r.stderr;
  }

  it('config check: a bad gateway token from the file is described, not printed', async () => {
    const err = await check('token.yaml', `gateway:\n  tokens:\n    - { name: ops, token: ${SECRET}, roles: [admin] }\n`);
    assert.match(err, /gateway\.tokens\.0\.token: expected a string of length >= 16, got <redacted string of 15 chars>/);
    assert.ok(!err.includes(SECRET), err);
  });

  it('config check: a bad token from BOT4_GATEWAY_TOKENS is not printed', async () => {
    const err = await check('empty.yaml', 'strategies: []\nrisk: { strategies: { api: {} } }\n', { BOT4_GATEWAY_TOKENS: `ops:${SECRET}:admin` });
    assert.match(err, /<redacted string of 15 chars>/);
    assert.ok(!err.includes(SECRET), err);
  });

  it('config check: a numeric venue secret and api key are not printed', async () => {
    const err = await check('venue.yaml', 'venues:\n  - { name: ex, rest: "http://127.0.0.1:1/api/v3", apiKey: key-1, secret: 987654321 }\nstrategies: []\nrisk: { strategies: { api: {} } }\n');
    assert.match(err, /venues\.0\.secret: expected a string, got <redacted number>/);
    assert.ok(!err.includes('987654321'), err);
    const err2 = await check('venue-key.yaml', 'venues:\n  - { name: ex, rest: "http://127.0.0.1:1/api/v3", apiKey: 4242424242, secret: s }\nstrategies: []\nrisk: { strategies: { api: {} } }\n');
    assert.match(err2, /venues\.0\.apiKey: expected a string, got <redacted number>/);
    assert.ok(!err2.includes('4242424242'), err2);
  });

  it('config check: an entry echoed whole (unknown key) has its secrets redacted', async () => {
    const err = await check('entry.yaml', `venues:\n  - { name: ex, rest: "http://127.0.0.1:1/api/v3", apiKey: key-1, secret: ${SECRET}, colour: red }\nstrategies: []\nrisk: { strategies: { api: {} } }\n`);
    assert.match(err, /venues\.0: expected no unknown keys \(colour\)/);
    assert.ok(!err.includes(SECRET), err);
    const err2 = await check('token-entry.yaml', `gateway:\n  tokens:\n    - { name: ops, token: ${SECRET}-and-long-enough, roles: [admin], colour: red }\n`);
    assert.match(err2, /gateway\.tokens\.0: expected no unknown keys \(colour\)/);
    assert.ok(!err2.includes(SECRET), err2);
  });

  /** Starts `bot4 sim` and resolves with its ready line's pairs, its pid and its stderr. */
  async function sim(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; urls: Map<string, string>; stderr: () => string }> {
    const child = spawn(process.execPath, [BOT4, 'sim', '--venues', '1', '--profile', 'none', '--port', '0', ...args], { cwd: ROOT, env: { ...process.env, BOT4_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    await until(() => out.includes('\n') || child.exitCode !== null, 60_000, 'sim ready line');
    const line = out.split('\n').find((l) => l.startsWith('bot4 sim ready '));
    assert.ok(line !== undefined, `ready line; stderr ${err}`);
    const urls = new Map(line.split(' ').filter((p) => p.includes('=')).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as [string, string]));
    return { child, urls, stderr: () => err };
  }

  async function accountStatus(rest: string, key: string, secret: string): Promise<number> {
    const q = `timestamp=${Date.now()}&recvWindow=10000`;
    return (await fetch(`${rest}/account?${q}&signature=${sign(secret, q)}`, { headers: { 'X-MBX-APIKEY': key }, signal: AbortSignal.timeout(3000) })).status;
  }

  for (const how of ['--api-secret-file', 'BOT4_SIM_API_SECRET'] as const) {
    it(`sim: the secret from ${how} works and is not in the process list or the output`, async () => {
      const secret = `file-secret-${how.length}-xyz`;
      const file = path.join(dir, `secret-${how.length}`);
      writeFileSync(file, `${secret}\n`, { mode: 0o600 });
      const s = how === '--api-secret-file' ? await sim(['--api-key', 'k-file', '--api-secret-file', file]) : await sim(['--api-key', 'k-file'], { BOT4_SIM_API_SECRET: secret });
      try {
        const cmdline = readFileSync(`/proc/${s.child.pid}/cmdline`, 'utf8');
        assert.ok(!cmdline.includes(secret), 'secret not in the process list');
        assert.ok(![...s.urls.values()].some((v) => v.includes(secret)));
        assert.doesNotMatch(s.stderr(), /warning/);
        assert.equal(await accountStatus(s.urls.get('sim-a.rest')!, 'k-file', secret), 200);
        assert.equal(await accountStatus(s.urls.get('sim-a.rest')!, 'k-file', 'wrong-secret'), 400, 'a wrong secret is refused (Binance -1022, HTTP 400)');
      } finally {
        s.child.kill('SIGKILL');
      }
    });
  }

  it('sim: --api-secret on the command line still works but warns about the process list', async () => {
    const s = await sim(['--api-key', 'k-flag', '--api-secret', 'flag-secret']);
    try {
      assert.match(s.stderr(), /warning: --api-secret is visible to every user of this machine in the process list; use --api-secret-file <file> or BOT4_SIM_API_SECRET/);
      assert.equal(await accountStatus(s.urls.get('sim-a.rest')!, 'k-flag', 'flag-secret'), 200);
    } finally {
      s.child.kill('SIGKILL');
    }
  });

  it('sim: two secret sources, an unreadable file, a bad-length secret, a secret without key: exit 2, secret never shown', async () => {
    const long = 'L'.repeat(129);
    const file = path.join(dir, 'long');
    writeFileSync(file, long);
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--api-key', 'k', '--api-secret', 'a', '--api-secret-file', file], {}, /--api-secret: expected one source of the API secret, got --api-secret-file and --api-secret/],
      [['--api-key', 'k', '--api-secret-file', path.join(dir, 'missing')], {}, /--api-secret-file: expected a readable file, got ".*missing" \(ENOENT\)/],
      [['--api-key', 'k', '--api-secret-file', file], {}, /--api-secret-file: expected a secret of 1 to 128 characters, got <redacted string of 129 chars>/],
      [['--api-key', 'k'], { BOT4_SIM_API_SECRET: '' }, /BOT4_SIM_API_SECRET: expected a secret of 1 to 128 characters, got <redacted string of 0 chars>/],
      [[], { BOT4_SIM_API_SECRET: 'env-only-secret' }, /--api-key: expected a value when BOT4_SIM_API_SECRET is given/],
    ];
    for (const [args, env, re] of cases) {
      const r = await runCli(['sim', '--port', '0', ...args], { env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.ok(!r.stderr.includes(long) && !r.stderr.includes('env-only-secret'), r.stderr);
      assert.equal(r.stdout, '');
    }
  });
});
