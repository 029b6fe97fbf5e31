import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestClient } from '../../fixtures/gateway/ws-client.js';
import { BOT4, QUIET_YAML, until } from './harness.js';

/*
 * The local admin token file as `bot4 daemon` writes it when no token is configured: a daemon
 * child under umask 000, and daemons refused because the token file or its folder is not private.
 */

interface Run {
  code: Promise<number | string>;
  stdout: () => string;
  stderr: () => string;
  kill: () => void;
}

/** `bot4 daemon` in `dir` with no configured token (so it writes `.bot4/admin-token`), under `umask`. */
function daemon(dir: string, umask: string): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, BOT4_LOG_LEVEL: 'warn' };
  delete env.BOT4_GATEWAY_TOKENS;
  const p = spawn('/bin/sh', ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, BOT4, 'daemon', '--config', 'bot4.yaml', '--port', '0', '--host', '127.0.0.1', '--no-parent-watch'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (b: Buffer) => (out += b.toString()));
  p.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = new Promise<number | string>((resolve) => p.once('exit', (c, s) => resolve(c ?? s ?? -1)));
  return { code, stdout: () => out, stderr: () => err, kill: () => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL') };
}

const perm = (p: string): number => lstatSync(p).mode & 0o777;

describe('daemon: the local admin token file', function () {
  this.timeout(120_000);
  let dir = '';
  const runs: Run[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bot4-tokenfile-'));
    writeFileSync(path.join(dir, 'bot4.yaml'), QUIET_YAML);
  });
  afterEach(() => {
    for (const r of runs.splice(0)) r.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('under umask 000: .bot4 is 0700, the token file 0600, and the token it holds is admin', async () => {
    const r = daemon(dir, '000');
    runs.push(r);
    await until(() => r.stdout().includes('bot4 daemon ready ') || r.stderr().includes('bot4: B4_'), 90_000, 'ready line');
    assert.match(r.stdout(), /tokenFile=\S+admin-token/, r.stderr());
    assert.equal(perm(path.join(dir, '.bot4')), 0o700);
    assert.equal(perm(path.join(dir, '.bot4', 'admin-token')), 0o600);
    const api = /api=(\S+)/.exec(r.stdout())![1]!;
    const token = readFileSync(path.join(dir, '.bot4', 'admin-token'), 'utf8').trim();
    const c = await TestClient.connect(api, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await c.request('status.get')).ok, true);
    c.close();
  });

  for (const [name, setup, re] of [
    [
      'an existing token file group/others can read (0644) is refused, not rewritten',
      (d: string): void => {
        mkdirSync(path.join(d, '.bot4'), { mode: 0o700 });
        chmodSync(path.join(d, '.bot4'), 0o700);
        writeFileSync(path.join(d, '.bot4', 'admin-token'), 'old-token\n');
        chmodSync(path.join(d, '.bot4', 'admin-token'), 0o644);
      },
      /has mode 0644: group or others can read it/,
    ],
    [
      'a token file that is a symlink is refused, and its target untouched',
      (d: string): void => {
        mkdirSync(path.join(d, '.bot4'), { mode: 0o700 });
        chmodSync(path.join(d, '.bot4'), 0o700);
        writeFileSync(path.join(d, 'victim'), 'victim\n');
        symlinkSync(path.join(d, 'victim'), path.join(d, '.bot4', 'admin-token'));
      },
      /is a symbolic link/,
    ],
    [
      'a token folder others can access (0755) is refused',
      (d: string): void => {
        mkdirSync(path.join(d, '.bot4'));
        chmodSync(path.join(d, '.bot4'), 0o755);
      },
      /folder has mode 0755/,
    ],
  ] as const) {
    it(`${name}: exit 2 with B4_TOKEN_FILE_INSECURE before anything starts`, async () => {
      setup(dir);
      const r = daemon(dir, '022');
      runs.push(r);
      const code = await Promise.race([r.code, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 60_000))]);
      assert.equal(code, 2, r.stderr());
      assert.match(r.stderr(), /^bot4: B4_TOKEN_FILE_INSECURE: token file "[^"]+": /m);
      assert.match(r.stderr(), re);
      assert.doesNotMatch(r.stdout(), /ready/);
      if (name.includes('0644')) assert.equal(readFileSync(path.join(dir, '.bot4', 'admin-token'), 'utf8'), 'old-token\n');
      if (name.includes('symlink')) assert.equal(readFileSync(path.join(dir, 'victim'), 'utf8'), 'victim\n');
    });
  }
});
