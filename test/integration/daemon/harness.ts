import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_API_KEY, DEMO_API_SECRET } from '../../../simulators/index.js';
import { TOKENS } from '../../fixtures/gateway/ws-client.js';

/** Repository root and the CLI entry. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BOT4 = path.join(ROOT, 'bin/bot4.js');

/** `BOT4_GATEWAY_TOKENS` for the test tokens (read, trade, admin, feed). */
export const TOKEN_ENV = `reader:${TOKENS.read}:read,trader:${TOKENS.trade}:trade,admin:${TOKENS.admin}:admin,feeder:${TOKENS.feed}:feed`;

/** A daemon child process started by a test. */
export interface DaemonChild {
  proc: ChildProcess;
  dir: string;
  /** The ready line's key=value pairs. */
  urls: Record<string, string>;
  stderr: () => string;
  /** Resolves with the exit code (or the signal name) once the child has exited. */
  exited: Promise<number | string>;
}

/**
 * Starts `bot4 daemon --config <dir>/bot4.yaml --port 0` in a fresh temp directory (journal inside
 * it; `opts.dir`: that directory instead, e.g. to restart on the same journal) with the test
 * tokens in the environment, and resolves on its ready line.
 */
export async function startDaemon(yaml: string, opts: { env?: Record<string, string>; timeoutMs?: number; args?: string[]; dir?: string } = {}): Promise<DaemonChild> {
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'bot4-daemon-'));
  writeFileSync(path.join(dir, 'bot4.yaml'), yaml);
  const proc = spawn(process.execPath, [BOT4, 'daemon', '--config', 'bot4.yaml', '--port', '0', '--host', '127.0.0.1', ...(opts.args ?? [])], {
    cwd: dir,
    env: { ...process.env, BOT4_GATEWAY_TOKENS: TOKEN_ENV, BOT4_LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
    if (err.length > 1_000_000) err = err.slice(-500_000);
  });
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const ready = new Promise<Record<string, string>>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`daemon not ready within ${opts.timeoutMs ?? 60_000} ms; stderr:\n${err.slice(-3000)}`)), opts.timeoutMs ?? 60_000);
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.startsWith('bot4 daemon ready '));
      if (line === undefined) return;
      clearTimeout(t);
      resolve(Object.fromEntries(line.split(' ').filter((p) => p.includes('=')).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)])));
    });
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`daemon exited (${code}) before ready; stderr:\n${err.slice(-3000)}`));
    });
  });
  let urls: Record<string, string>;
  try {
    urls = await ready;
  } catch (e) {
    // never leave a half-started daemon behind (it would hold the port and the journal lock)
    proc.kill('SIGKILL');
    throw e;
  }
  return { proc, dir, urls, stderr: () => err, exited };
}

/** Sends SIGTERM and waits (bounded) for the exit; SIGKILLs and fails if it does not come. */
export async function stopDaemon(d: DaemonChild, timeoutMs = 30_000): Promise<number | string> {
  if (d.proc.exitCode !== null || d.proc.signalCode !== null) return d.exited;
  d.proc.kill('SIGTERM');
  const t = setTimeout(() => d.proc.kill('SIGKILL'), timeoutMs);
  try {
    return await d.exited;
  } finally {
    clearTimeout(t);
  }
}

/** Runs `bot4 <args>` to completion (bounded) and returns its exit code and output. */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BOT4, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, BOT4_LOG_LEVEL: 'warn', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`bot4 ${args.join(' ')} did not finish; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    p.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Polls `pred` every 20 ms until true or `timeoutMs` (then throws naming `what`). */
/**
 * Environment of a test daemon trading the simulator's `venues` with its demo keys
 * (`BOT4_VENUE_<NAME>_API_KEY/SECRET`), logging at BOT4_TEST_DAEMON_LOG (default warn).
 */
export function simVenueEnv(...venues: string[]): Record<string, string> {
  const env: Record<string, string> = { BOT4_LOG_LEVEL: process.env.BOT4_TEST_DAEMON_LOG ?? 'warn' };
  for (const v of venues) {
    const k = v.toUpperCase().replace(/-/g, '_');
    env[`BOT4_VENUE_${k}_API_KEY`] = DEMO_API_KEY;
    env[`BOT4_VENUE_${k}_API_SECRET`] = DEMO_API_SECRET;
  }
  return env;
}

export async function until(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A daemon config with the embedded simulator and no strategies (the API is the only trader). */
export const QUIET_YAML = `# test daemon: embedded simulator, no strategies
sim:
  venues: 2
  seed: 7
  profile: none
journal:
  dir: journal
  fsync: always
strategies: []
risk:
  strategies:
    api: {}
shutdown:
  cancelOpenOrders: true
  timeoutMs: 20000
`;
