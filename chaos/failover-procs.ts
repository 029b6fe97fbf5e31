// The processes of a failover scenario (chaos/failover-runner.ts): a nats-server with JetStream on
// a free loopback port, one cuttable TCP proxy per daemon in front of it (a partition of one
// daemon from NATS that leaves its venue connections alone), and `bot4 daemon` children.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChaosEngineError } from './errors.js';

/** `bin/bot4.js` (from chaos/*.ts and from the bundled dist/*.js alike). */
const BOT4 = fileURLToPath(new URL('../bin/bot4.js', import.meta.url));

/** A running nats-server (`-js`, store in `storeDir`). */
export interface NatsProcess {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The nats-server binary (BOT4_NATS_SERVER overrides), or a ChaosEngineError naming the Debian package. */
export function natsServerBinary(): string {
  const bin = process.env.BOT4_NATS_SERVER ?? 'nats-server';
  const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new ChaosEngineError(`nats-server not runnable as '${bin}' (install the Debian package nats-server; .ci/run does): ${probe.error?.message ?? probe.stderr}`, { bin });
  return bin;
}

/**
 * Starts `nats-server -js` on 127.0.0.1:`port` (-1: a free one, read from its log) with its store in
 * `storeDir`; resolves once it is ready. Also the test fixture's launcher (test/fixtures/nats/).
 */
export async function startNats(storeDir: string, timeoutMs = 10_000, port = -1): Promise<NatsProcess> {
  const bin = natsServerBinary();
  mkdirSync(storeDir, { recursive: true });
  const c = spawn(bin, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = await new Promise<number>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      c.kill('SIGKILL');
      reject(new ChaosEngineError(`nats-server not ready within ${timeoutMs} ms: ${log.slice(-2000)}`));
    }, timeoutMs);
    const onData = (b: Buffer): void => {
      log += b.toString('utf8');
      const m = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m !== null && /Server is ready/.test(log)) {
        clearTimeout(timer);
        c.stdout?.off('data', onData);
        c.stderr?.off('data', onData);
        c.stdout?.resume();
        c.stderr?.resume();
        resolve(Number(m[1]));
      }
    };
    c.stdout?.on('data', onData);
    c.stderr?.on('data', onData);
    c.once('exit', (code) => {
      clearTimeout(timer);
      reject(new ChaosEngineError(`nats-server exited (${code}) before ready: ${log.slice(-2000)}`));
    });
  });
  return {
    url: `nats://127.0.0.1:${ready}`,
    port: ready,
    stop: () =>
      new Promise<void>((resolve) => {
        if (c.exitCode !== null || c.signalCode !== null) return resolve();
        const hard = setTimeout(() => c.kill('SIGKILL'), 5000);
        c.once('exit', () => {
          clearTimeout(hard);
          resolve();
        });
        c.kill('SIGTERM');
      }),
  };
}

/**
 * A TCP proxy to `127.0.0.1:targetPort`. `cut()` destroys every connection and refuses new ones
 * (accepted and closed at once) until `heal()`: the daemon behind it loses NATS, nothing else.
 */
export class TcpProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private cutNow = false;
  port = 0;

  constructor(private readonly targetPort: number) {
    this.server = net.createServer((client) => {
      if (this.cutNow) return void client.destroy();
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      this.sockets.add(client);
      this.sockets.add(upstream);
      const done = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', done).on('close', done);
      upstream.on('error', done).on('close', done);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  cut(): void {
    this.cutNow = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  heal(): void {
    this.cutNow = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** One `bot4 daemon` child in `dir` (config `bot4.yaml` written there). */
export class DaemonProc {
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  /** The ready line's key=value pairs (once ready). */
  urls: Record<string, string> = {};
  readonly startedAt = Date.now();

  constructor(
    readonly name: string,
    readonly dir: string,
    yaml: string,
    env: Record<string, string>,
    private readonly logFile: string,
  ) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'bot4.yaml'), yaml);
    appendFileSync(logFile, `--- ${name} spawned ${new Date().toISOString()}\n`);
    this.child = spawn(process.execPath, [BOT4, 'daemon', '--config', 'bot4.yaml', '--port', '0', '--host', '127.0.0.1'], { cwd: dir, env: { ...process.env, BOT4_LOG_LEVEL: process.env.BOT4_LOG_LEVEL ?? 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (b: Buffer) => appendFileSync(this.logFile, b));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves on the ready line (the gateway listens; a takeover daemon is a standby then). */
  ready(timeoutMs: number): Promise<void> {
    let out = '';
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new ChaosEngineError(`daemon ${this.name} not ready within ${timeoutMs} ms (see ${this.logFile})`)), timeoutMs);
      this.child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const line = out.split('\n').find((l) => l.startsWith('bot4 daemon ready '));
        if (line === undefined) return;
        clearTimeout(t);
        this.urls = Object.fromEntries(line.split(' ').filter((p) => p.includes('=')).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
        resolve();
      });
      void this.exited.then((code) => {
        clearTimeout(t);
        reject(new ChaosEngineError(`daemon ${this.name} exited (${code}) before ready (see ${this.logFile})`));
      });
    });
  }

  /** True when its /health says ready (the lease owner, trading). */
  async owner(): Promise<boolean> {
    if (!this.alive || this.urls.health === undefined) return false;
    try {
      const r = await fetch(this.urls.health, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      return r.status === 200;
    } catch {
      return false;
    }
  }

  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (graceful: strategies stop, the log flushes, the lease is released), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<number | string> {
    if (!this.alive) return this.exited;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(t);
    }
  }
}
