import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import { LiveClock, type Clock } from '../common/clock.js';
import { logger } from '../common/log.js';
import { Engine } from '../actors/engine/engine.js';
import { EngineApi } from './engine-api.js';
import { GatewayServer, type GatewayAddress } from '../gateway/server.js';
import type { Simulator } from '../simulators/simulator.js';
import type { ActorTracing } from '../actors/runtime/tracing/actor-tracing.js';
import type { DaemonConfig } from './config.js';
import { JournalLockedError, openFailure } from '../actors/journal/errors.js';
import { LOCK_FILE, readOwner } from '../actors/journal/lock.js';
import { FileLockError, NativeUnavailableError } from '../native/errors.js';
import { acquireDirLock, releaseDirLock } from '../native/file-lock.js';
import { nativeInfo } from '../native/native-info.js';
import { DaemonShutdownTimeoutError } from './errors.js';
import { prepareTokenFile, writeTokenFile } from './token-file.js';

const log = logger.child({ component: 'daemon' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Longest the daemon waits at start for every venue to sync before serving anyway (health stays 503). */
const SYNC_WAIT_MS = 30_000;

/**
 * `bot4 daemon`: the embedded simulator (when no venues are configured), the engine on those
 * venues, the configured strategies, and the gateway in front of the engine's {@link EngineApi}.
 * One process, one event loop; `stop()` is the graceful shutdown of SIGTERM/SIGINT.
 */
export class Daemon {
  /** Where the local admin token was written ('' when tokens came from config or environment). */
  tokenFile = '';
  /** Where the embedded simulator's control-API token was written ('' without an embedded simulator). */
  simTokenFile = '';
  /** Releases the kernel lock on the embedded venue's state folder (undefined without one). */
  private releaseSimLock: (() => void) | undefined;
  /** The OpenTelemetry adapter when tracing is on (docs/tracing.md); undefined: no OTel module loaded. */
  tracing: ActorTracing | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: DaemonConfig,
    readonly clock: Clock,
    readonly sim: Simulator | undefined,
    readonly engine: Engine,
    readonly adapter: EngineApi,
    readonly gateway: GatewayServer,
    readonly address: GatewayAddress,
  ) {}

  /**
   * Starts everything in order; anything already started is stopped again if a later step fails
   * (so a port in use never leaves the journal locked). Resolves once the gateway listens.
   */
  static async start(config: DaemonConfig, deps: { clock?: Clock } = {}): Promise<Daemon> {
    const clock = deps.clock ?? new LiveClock();
    let sim: Simulator | undefined;
    let engine: Engine | undefined;
    let adapter: EngineApi | undefined;
    let gateway: GatewayServer | undefined;
    let simTokenFile = '';
    let simLock: (() => void) | undefined;
    const localToken = config.gatewayOptions.tokens.length === 0 && config.auth.tokenFile !== '';
    // Before anything starts (and before the journal creates `.bot4/journal`): the token's folder
    // is created 0700 here, and an unsafe folder or file stops the start with nothing to undo.
    if (localToken) prepareTokenFile(config.auth.tokenFile);
    let tracing: ActorTracing | undefined;
    // the library itself never logs which native path is live: the daemon says it once at start
    const native = nativeInfo();
    log.info({ native }, `native primitives: ${native.simd} (${native.reason ?? ''})`);
    try {
      const t = config.tracingSetup;
      if (t.enabled) {
        // Loaded only when on: with tracing off not one OpenTelemetry module is in the process.
        // Started first, so the embedded simulator finds its span sink (service bot4-sim).
        const { ActorTracing } = await import('../actors/runtime/tracing/actor-tracing.js');
        tracing = new ActorTracing({ ...t.options, clock });
        log.info({ why: t.reason, endpoint: t.options.endpoint, service: t.options.serviceName, sim: t.options.simServiceName, sampler: t.sampler, ratio: t.options.samplingRatio, maxTracesPerSecond: t.options.maxTracesPerSecond }, 'tracing on');
      }
      let venues: Record<string, unknown>[] = config.venues.map((v) => ({ ...v }));
      if (venues.length === 0) {
        // loaded only when used: the simulator pulls in its matching engine and network model
        const { DEMO_API_KEY, DEMO_API_SECRET, Simulator } = await import('../simulators/simulator.js');
        // The embedded venue is durable like a real one: its ledger lives in its own folder under the
        // journal, so after any restart the engine's positions and the venue's balances still agree.
        // Its control API gets a fresh token per start (file readable only by this user).
        const journalDir = path.resolve(config.journal.dir);
        const simStateDir = config.sim.stateDir === '' ? path.join(journalDir, 'sim') : path.resolve(config.sim.stateDir);
        // The venue's files are locked before the simulator reads them: a second daemon on the same
        // journal must fail here, before its simulator replays or compacts the running one's ledger.
        // A folder that cannot be made gives the journal's coded errors (B4_JOURNAL_READONLY, ...).
        try {
          mkdirSync(journalDir, { recursive: true, mode: 0o700 });
          // an existing journal folder on a read-only file system: say so about the journal (root
          // passes permission checks, but access(2) still reports EROFS)
          accessSync(journalDir, constants.W_OK);
        } catch (e) {
          throw openFailure(e, journalDir, 'access');
        }
        try {
          mkdirSync(simStateDir, { recursive: true, mode: 0o700 });
        } catch (e) {
          throw openFailure(e, simStateDir, 'mkdir');
        }
        simLock = lockSimState(simStateDir, journalDir);
        const controlToken = randomBytes(24).toString('base64url');
        sim = await Simulator.start({
          venues: config.sim.venues,
          seed: config.sim.seed,
          host: config.sim.host,
          port: config.sim.port,
          profile: config.sim.profile,
          participants: config.sim.participants,
          rateLimits: config.sim.rateLimits,
          // a small window of full client history (issue 16: the simulator's default, 20,000 orders per
          // venue, took the daemon's heap up for over an hour); count-based only: an age limit could
          // compact, at a restart after downtime, the orders the engine's start reconciliation asks for
          retention: { orders: config.sim.retentionOrders },
          stateDir: simStateDir,
          stateFsync: config.journal.fsync === 'always',
          controlToken,
        });
        // written like the admin token: atomically, 0600, never through a symlink or into an open folder
        simTokenFile = writeTokenFile(path.join(simStateDir, 'control.token'), controlToken);
        venues = sim.venues.map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET }));
        log.info({ venues: sim.venues.map((v) => v.name), control: sim.controlUrl, seed: config.sim.seed, profile: config.sim.profile, participants: config.sim.participants, rateLimits: config.sim.rateLimits }, 'embedded simulator started');
      }
      engine = await Engine.start({ journal: { dir: config.journal.dir, fsync: config.journal.fsync, repair: config.journal.repair }, venues: venues as never, symbols: [...config.symbols], risk: config.risk as Record<string, unknown> }, { clock });
      for (let waited = 0; !engine.venuesSynced && waited < SYNC_WAIT_MS; waited += 20) await sleep(20);
      if (!engine.venuesSynced) log.warn({ venues: engine.venueStats() }, 'venues not synced yet; serving anyway (health stays not ready)');
      adapter = new EngineApi(engine);
      for (const s of config.strategies) await engine.addStrategy({ id: s.id, kind: s.kind, instruments: [...s.instruments], params: { ...s.params } });
      const raw: Record<string, unknown> = { host: config.gatewayOptions.host, port: config.gatewayOptions.port, ...config.gateway };
      let tokenFile = '';
      if (localToken) {
        // no token configured: make a local admin token readable only by this user (the CLI reads
        // it), written atomically (temp file + rename, mode 0600) after the journal lock is held,
        // so a second daemon on the same folder never replaces the running one's token
        const token = randomBytes(24).toString('base64url');
        tokenFile = writeTokenFile(config.auth.tokenFile, token);
        raw.tokens = [{ name: 'local-admin', token, roles: ['admin'] }];
      }
      gateway = new GatewayServer(adapter, raw, { clock });
      const address = await gateway.start();
      adapter.lifecycle = 'running';
      const d = new Daemon(config, clock, sim, engine, adapter, gateway, address);
      d.tokenFile = tokenFile;
      d.simTokenFile = simTokenFile;
      d.releaseSimLock = simLock;
      d.tracing = tracing;
      return d;
    } catch (e) {
      await gateway?.stop().catch(() => undefined);
      adapter?.detach();
      await engine?.stop().catch((err: unknown) => log.error({ err }, 'engine stop after a failed start'));
      await sim?.stop().catch(() => undefined);
      simLock?.();
      await tracing?.shutdown();
      throw e;
    }
  }

  /**
   * The one ready line: space-separated `key=value` pairs with every URL (API, feed, health,
   * metrics, simulator control, each venue's REST root and control URL), the daemon's pid, the
   * journal directory and the token file. Never contains a secret.
   */
  readyLine(): string {
    const a = this.address;
    const parts = ['bot4 daemon ready', `pid=${process.pid}`, `api=${a.api}`, `feed=${a.feed}`, `health=${a.health}`, `metrics=${a.metrics}`, `journal=${path.resolve(this.config.journal.dir)}`];
    if (this.tokenFile !== '') parts.push(`tokenFile=${this.tokenFile}`);
    parts.push(`strategies=${[...this.engine.strategies.keys()].join(',') || '-'}`);
    if (this.sim !== undefined) {
      parts.push(`sim.control=${this.sim.controlUrl}`, `sim.controlTokenFile=${this.simTokenFile}`);
      for (const v of this.sim.venues) parts.push(`${v.name}.rest=${v.rest}`, `${v.name}.ws=${v.ws}`, `${v.name}.wsApi=${v.wsApi}`, `${v.name}.control=${v.control}`);
    } else {
      for (const v of this.config.venues) parts.push(`${v.name}.rest=${v.rest}`);
    }
    return parts.join(' ');
  }

  /**
   * Graceful shutdown, bounded by `shutdown.timeoutMs`: API submissions refused, strategies
   * stopped, open orders canceled (when `shutdown.cancelOpenOrders`, waiting up to
   * `shutdown.cancelWaitMs` for the venues to confirm), actors drained, journal flushed, synced
   * and closed, sockets closed (1001), simulator stopped. Rejects with
   * {@link DaemonShutdownTimeoutError} when a step hangs past the bound. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const { timeoutMs, cancelOpenOrders, cancelWaitMs } = this.config.shutdown;
    let step = 'strategies';
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DaemonShutdownTimeoutError(timeoutMs, step)), timeoutMs);
    });
    const run = async (): Promise<void> => {
      const e = this.engine;
      this.adapter.lifecycle = 'stopping';
      for (const h of e.strategies.values()) h.stop();
      if (cancelOpenOrders) {
        step = 'cancel open orders';
        const open = (): number => [...e.journal.orders.openOrders()].filter((o) => o.state !== 'unknown').length;
        const until = Date.now() + cancelWaitMs;
        // re-sent each round: an order still `submitted` at the first sweep is cancelable at the next
        for (let round = 0; open() > 0 && Date.now() < until; round++) {
          if (round % 10 === 0) e.cancelAll('shutdown');
          await sleep(25);
        }
        const left = [...e.journal.orders.openOrders()].map((o) => `${o.clientOrderId}:${o.state}`);
        if (left.length > 0) log.warn({ left }, 'open orders left at shutdown (reconciled at the next start)');
      }
      step = 'engine (drain, journal flush and close)';
      await e.stop();
      this.adapter.detach();
      step = 'gateway';
      await this.gateway.stop();
      step = 'simulator';
      await this.sim?.stop();
      this.releaseSimLock?.();
      // last: the spans of the shutdown itself are exported too (bounded by its own timeout, never rejects)
      step = 'tracing (final export)';
      await this.tracing?.shutdown();
      this.adapter.lifecycle = 'stopped';
    };
    try {
      await Promise.race([run(), deadline]);
    } finally {
      clearTimeout(timer);
    }
    log.info({}, 'daemon stopped');
  }
}

/**
 * Kernel lock on the embedded venue's state folder, held for the daemon's life (released by the
 * kernel if the process dies). Without the native addon there is no kernel lock: the journal's
 * advisory pid-file lock (taken next, with its own B4_JOURNAL_LOCK_ADVISORY warning) is all there is.
 */
function lockSimState(dir: string, journalDir: string): (() => void) | undefined {
  let fd: number;
  try {
    fd = acquireDirLock(dir);
  } catch (e) {
    if (e instanceof NativeUnavailableError) return undefined;
    if (e instanceof FileLockError && e.code === 'B4_FILE_LOCK_HELD') {
      // the holder is the daemon on this journal: name it from the journal's informational LOCK file
      const lockPath = path.join(journalDir, LOCK_FILE);
      let owner: { pid: number; host: string } | undefined;
      try {
        owner = readOwner(lockPath);
      } catch {
        owner = undefined;
      }
      throw new JournalLockedError(lockPath, owner?.pid ?? 0, owner?.host ?? '', true);
    }
    throw e;
  }
  return () => {
    try {
      releaseDirLock(fd);
    } catch (err) {
      log.warn({ err, dir }, 'releasing the embedded venue state lock failed');
    }
  };
}
