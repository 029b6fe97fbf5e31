import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { acquireLock } from '../../../actors/journal/lock.js';
import { QUIET_YAML, ROOT, TOKEN_ENV, until } from './harness.js';

/*
 * `npm start` as a user runs it, then the npm process (only it) goes away. npm runs the script
 * through `sh -c`; a `sh` between npm and node used to swallow npm's forwarded SIGTERM and left the
 * daemon under PID 1 with its port and the journal lock. Now the script `exec`s node (npm forwards
 * SIGTERM to it) and the daemon stops by itself when its parent changes (npm killed with SIGKILL).
 */

interface NpmStart {
  npm: ChildProcess;
  dir: string;
  urls: Record<string, string>;
  stderr: () => string;
}

async function npmStart(): Promise<NpmStart> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bot4-orphan-'));
  const cfg = path.join(dir, 'bot4.yaml');
  writeFileSync(cfg, QUIET_YAML.replace('dir: journal', `dir: ${JSON.stringify(path.join(dir, 'journal'))}`));
  // its own process group: the test signals npm alone, and cleans up the whole group
  const npm = spawn('npm', ['start', '--', '--config', cfg, '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, BOT4_GATEWAY_TOKENS: TOKEN_ENV, BOT4_LOG_LEVEL: 'info', npm_config_update_notifier: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  npm.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
    if (err.length > 2_000_000) err = err.slice(-1_000_000);
  });
  npm.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const started = { npm, dir, urls: {} as Record<string, string>, stderr: () => err };
  try {
    await until(() => out.includes('bot4 daemon ready ') || npm.exitCode !== null, 90_000, 'the daemon ready line');
  } catch (e) {
    cleanup(started);
    throw e;
  }
  const line = out.split('\n').find((l) => l.startsWith('bot4 daemon ready '));
  if (line === undefined) {
    cleanup(started);
    assert.fail(`npm start exited before ready; stderr:\n${err.slice(-3000)}`);
  }
  started.urls = Object.fromEntries(line.split(' ').filter((p) => p.includes('=')).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  return started;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function cleanup(s: NpmStart): void {
  try {
    process.kill(-s.npm.pid!, 'SIGKILL');
  } catch {
    // the group is already gone
  }
  const pid = Number(s.urls.pid);
  if (Number.isInteger(pid) && pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(s.dir, { recursive: true, force: true });
}

/** The daemon exits by itself (graceful: "daemon stopped" logged), frees the port and the journal lock. */
async function assertStoppedCleanly(s: NpmStart): Promise<void> {
  const pid = Number(s.urls.pid);
  const port = Number(new URL(s.urls.api!).port);
  await until(() => !alive(pid), 30_000, `daemon pid ${pid} to exit after npm went away`);
  assert.match(s.stderr(), /"msg":"daemon stopped"/, 'graceful shutdown, not a kill');
  assert.ok(await portFree(port), `port ${port} released`);
  const lock = acquireLock(path.join(s.dir, 'journal'));
  lock.release();
}

describe('npm start: the daemon never outlives the npm process', function () {
  this.timeout(180_000);
  let s: NpmStart | undefined;

  afterEach(() => {
    if (s !== undefined) cleanup(s);
    s = undefined;
  });

  it('SIGTERM to npm: the daemon (npm’s direct child) shuts down gracefully, releasing port and journal lock', async () => {
    s = await npmStart();
    const pid = Number(s.urls.pid);
    assert.ok(Number.isInteger(pid) && pid !== s.npm.pid, `ready line has the daemon pid (${s.urls.pid})`);
    assert.ok(alive(pid));
    process.kill(s.npm.pid!, 'SIGTERM');
    await assertStoppedCleanly(s);
  });

  it('Ctrl-C (SIGINT to the whole process group: the terminal’s and npm’s forwarded copy): one graceful shutdown', async () => {
    s = await npmStart();
    process.kill(-s.npm.pid!, 'SIGINT');
    await assertStoppedCleanly(s);
  });

  it('terminal closed (SIGHUP to the whole process group): graceful shutdown', async () => {
    s = await npmStart();
    process.kill(-s.npm.pid!, 'SIGHUP');
    await assertStoppedCleanly(s);
  });

  it('SIGKILL to npm: the daemon sees its parent change and shuts down gracefully', async () => {
    s = await npmStart();
    process.kill(s.npm.pid!, 'SIGKILL');
    await assertStoppedCleanly(s);
    assert.match(s.stderr(), /the process that started the daemon is gone: stopping/);
  });
});
