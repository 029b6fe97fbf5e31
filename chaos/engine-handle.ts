import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Instrument } from '../actors/orders/instrument.js';
import type { EngineStatsLine } from './engine-process.js';
import { ChaosEngineError } from './errors.js';
import { DAEMON_NODE_FLAGS } from '../daemon/node-flags.js';

// From the sources (tests, development) the child runs engine-process.ts through tsx; from the
// compiled build (dist/, see bin/build-js.mjs) it runs dist/engine-process.js with source maps.
const COMPILED = import.meta.url.endsWith('.js');
const ENTRY = fileURLToPath(new URL(COMPILED ? './engine-process.js' : './engine-process.ts', import.meta.url));
// The daemon's V8 flags (daemon/node-flags.ts): peak RSS is measured as the daemon runs.
const NODE_ARGS = [...DAEMON_NODE_FLAGS, ...(COMPILED ? ['--enable-source-maps'] : ['--import', 'tsx'])];

/** What the engine prints when it settled. */
export interface SettledLine {
  left: string[];
  stats: EngineStatsLine;
  instruments: Instrument[];
}

/**
 * One engine child process (`engine-process.ts`): its READY line, STATS lines forwarded to
 * `onStats`, commands over stdin, SIGKILL, and the SETTLED line.
 */
export class EngineHandle {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  /** Epoch ms of the READY line (undefined before). */
  readyAt: number | undefined;
  private settled: ((s: SettledLine) => void) | undefined;
  private stderr = '';
  private isReady = false;
  private killed = false;

  /**
   * `logFile`: the child's stderr (its log, `BOT4_LOG_LEVEL` warn unless set) is appended there,
   * after a header line naming the pid, so a run folder keeps the evidence of every incarnation.
   */
  constructor(configFile: string, onStats: (s: EngineStatsLine) => void, onRejection: (r: { t: number; name: string; message: string }) => void, readyTimeoutMs = 90_000, logFile?: string) {
    this.child = spawn(process.execPath, [...NODE_ARGS, ENTRY, configFile], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, BOT4_LOG_LEVEL: process.env.BOT4_LOG_LEVEL ?? 'warn' } });
    if (logFile !== undefined) appendFileSync(logFile, `--- engine process ${this.child.pid ?? '?'} spawned ${new Date().toISOString()}\n`);
    this.exited = new Promise((r) =>
      this.child.on('exit', (code, signal) => {
        if (logFile !== undefined) appendFileSync(logFile, `--- engine process ${this.child.pid ?? '?'} exited ${new Date().toISOString()} (${code === null ? `signal ${signal}` : `code ${code}`}${this.killed ? ', killed by the runner' : ''})\n`);
        r(code);
      }),
    );
    let buf = '';
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ChaosEngineError(`engine process not ready within ${readyTimeoutMs} ms: ${this.stderr.slice(-2000)}`)), readyTimeoutMs);
      this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line === 'READY') {
            clearTimeout(timer);
            this.isReady = true;
            this.readyAt = Date.now();
            resolve();
          } else if (line.startsWith('STATS ')) onStats(JSON.parse(line.slice(6)) as EngineStatsLine);
          else if (line.startsWith('SETTLED ')) this.settled?.(JSON.parse(line.slice(8)) as SettledLine);
          else if (line.startsWith('REJECTION ')) onRejection(JSON.parse(line.slice(10)) as { t: number; name: string; message: string });
        }
      });
      this.child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new ChaosEngineError(`engine process exited (${code ?? signal}) before its READY line: ${this.stderr.slice(-2000)}`, { code, signal }));
      });
    });
    this.ready.catch(() => {});
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-20_000);
      if (logFile !== undefined) appendFileSync(logFile, d);
    });
    this.child.stdin!.on('error', () => {});
  }

  /** True once {@link kill} was called (the exit that follows is planned). */
  get killedByRunner(): boolean {
    return this.killed;
  }

  /** True once READY was printed. */
  get running(): boolean {
    return this.isReady && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Asks the engine to crash an actor (`ActorSystem.injectFault`): its supervisor restarts it. */
  crash(address: string): void {
    this.child.stdin!.write(`${JSON.stringify({ cmd: 'crash', address })}\n`);
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(): Promise<void> {
    this.killed = true;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Stops the strategies, cancels every open order and waits for the SETTLED line (bounded). */
  settle(timeoutMs: number): Promise<SettledLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new ChaosEngineError(`engine did not settle within ${timeoutMs} ms: ${this.stderr.slice(-2000)}`)), timeoutMs);
      this.settled = (s) => {
        clearTimeout(timer);
        resolve(s);
      };
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new ChaosEngineError(`engine process exited (${code}) before settling: ${this.stderr.slice(-2000)}`));
      });
      this.child.stdin!.write(`${JSON.stringify({ cmd: 'settle' })}\n`);
    });
  }

  /** The last stderr output (for error reports). */
  get errors(): string {
    return this.stderr;
  }
}
