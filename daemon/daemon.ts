import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
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
import { ConfigError } from '../common/errors.js';
import { prepareTokenFile, writeTokenFile } from './token-file.js';
import type { ClusterNode } from '../cluster/replication-node.js';
import type { ClusterGateway } from './event-relay-cluster.js';

import type { FailoverNode } from '../cluster/failover.js';
import { FailoverPort } from './failover-port.js';

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
  /** The replicated order log and venue lease when `cluster.enabled` (docs/deployment.md); undefined otherwise. */
  cluster: ClusterNode | undefined;
  /** The gateway across nodes when `cluster.remote.enabled` (docs/cluster.md); undefined otherwise. */
  remote: ClusterGateway | undefined;

  /** Automatic takeover when `cluster.lease.takeover` (docs/deployment.md#automatic-takeover); undefined otherwise. */
  failover: FailoverNode | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: DaemonConfig,
    readonly clock: Clock,
    readonly sim: Simulator | undefined,
    private engineRef: Engine | undefined,
    private adapterRef: EngineApi | undefined,
    readonly gateway: GatewayServer,
    readonly address: GatewayAddress,
    private readonly port: EngineApi | FailoverPort = adapterRef!,
  ) {}

  /** The engine. Under `cluster.lease.takeover` only while this daemon owns the lease (undefined while a standby). */
  get engine(): Engine {
    return this.engineRef!;
  }

  /** The gateway's view of the engine (same caveat as {@link engine}). */
  get adapter(): EngineApi {
    return this.adapterRef!;
  }

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
    let cluster: ClusterNode | undefined;
    let remote: ClusterGateway | undefined;
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
      if (config.cluster.enabled && config.cluster.lease.takeover) return await Daemon.startStandby(config, clock, localToken, tracing);
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
      // Before any strategy or API order: the replicated log (its backlog comes from the journal on
      // disk) and the gates orders pass (lease fence, ack: sync). Never waits for NATS.
      // Loaded only when on: a daemon without a cluster loads no NATS client.
      if (config.cluster.enabled) cluster = (await import('../cluster/replication-node.js')).startClusterNode(config.cluster, engine.journal, clock);
      for (let waited = 0; !engine.venuesSynced && waited < SYNC_WAIT_MS; waited += 20) await sleep(20);
      if (!engine.venuesSynced) log.warn({ venues: engine.venueStats() }, 'venues not synced yet; serving anyway (health stays not ready)');
      adapter = new EngineApi(engine);
      // The gateway across nodes (cluster.remote): NATS remote transport, event export/import, order routing.
      if (config.cluster.enabled && config.cluster.remote.enabled) remote = await (await import('./event-relay-cluster.js')).ClusterGateway.start(engine, adapter, config.cluster.remote, config.cluster);
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
      d.cluster = cluster;
      d.remote = remote;
      return d;
    } catch (e) {
      await gateway?.stop().catch(() => undefined);
      await remote?.close().catch(() => undefined);
      adapter?.detach();
      await engine?.stop().catch((err: unknown) => log.error({ err }, 'engine stop after a failed start'));
      await cluster?.close(0).catch(() => undefined);
      await sim?.stop().catch(() => undefined);
      simLock?.();
      await tracing?.shutdown();
      throw e;
    }
  }

  /**
   * `cluster.lease.takeover`: the gateway starts at once in front of a {@link FailoverPort} (standby:
   * no engine, /health 503 with `lease.owner: false`, orders refused LEASE_STALE); the failover node
   * (cluster/failover.ts) starts the engine on a journal rebuilt from the account's stream whenever
   * this daemon wins the venue lease, and stops it when it loses it. Needs configured venues (an
   * embedded simulator would be one venue per daemon, not one account).
   */
  private static async startStandby(config: DaemonConfig, clock: Clock, localToken: boolean, tracing: ActorTracing | undefined): Promise<Daemon> {
    const { startFailoverNode, checkTakeoverOptions } = await import('../cluster/failover.js');
    checkTakeoverOptions(config.cluster);
    if (config.venues.length === 0) throw new ConfigError('venues', 'cluster.lease.takeover: expected at least one configured venue (the account the lease names), got none (the embedded simulator is per daemon)');
    const nodeId = config.cluster.nodeId || (config.cluster.remote.enabled ? config.cluster.remote.node : `${hostname()}-${process.pid}`);
    const venues = config.venues.map((v) => ({ ...v }));
    const ref: { d?: Daemon } = {};
    const port = new FailoverPort(() => {
      const l = ref.d?.failover?.status().lease;
      return { node: nodeId, leaseKey: config.cluster.lease.key, ...(l?.seenOwner === undefined ? {} : { owner: l.seenOwner, term: l.seenTerm }) };
    });
    const raw: Record<string, unknown> = { host: config.gatewayOptions.host, port: config.gatewayOptions.port, ...config.gateway };
    let tokenFile = '';
    if (localToken) {
      const token = randomBytes(24).toString('base64url');
      tokenFile = writeTokenFile(config.auth.tokenFile, token);
      raw.tokens = [{ name: 'local-admin', token, roles: ['admin'] }];
    }
    const gateway = new GatewayServer(port, raw, { clock });
    const address = await gateway.start();
    const daemon = new Daemon(config, clock, undefined, undefined, undefined, gateway, address, port);
    ref.d = daemon;
    daemon.tokenFile = tokenFile;
    daemon.tracing = tracing;
    try {
      if (config.cluster.remote.enabled) {
        // The gateway across nodes outlives every engine: as a standby it routes this daemon's
        // orders to the lease's owner and shows the owner's events; as the owner it serves theirs.
        const { ClusterGateway } = await import('./event-relay-cluster.js');
        const { failoverHost } = await import('./cluster-gateway-host.js');
        const remote = await ClusterGateway.startDetached(failoverHost(port, () => daemon.engineRef), { ...config.cluster.remote, node: nodeId }, config.cluster, clock);
        daemon.remote = remote;
        port.router = remote;
        port.clusterView = { remoteVenues: () => remote.remoteVenueView(), stats: () => remote.stats() };
      }
      daemon.failover = startFailoverNode({ ...config.cluster, nodeId }, path.resolve(config.journal.dir), clock, {
        openEngine: async (dir) => {
          const engine = await Engine.start({ journal: { dir, fsync: config.journal.fsync, repair: config.journal.repair }, venues: venues as never, symbols: [...config.symbols], risk: config.risk as Record<string, unknown> }, { clock });
          daemon.engineRef = engine;
          return engine.journal;
        },
        resume: async () => {
          const engine = daemon.engineRef!;
          // Unknown orders are reconciled by client order id while the venues sync.
          for (let waited = 0; !engine.venuesSynced && waited < SYNC_WAIT_MS; waited += 20) await sleep(20);
          if (!engine.venuesSynced) log.warn({ venues: engine.venueStats() }, 'takeover: venues not synced yet; trading anyway (health stays not ready)');
          const api = new EngineApi(engine);
          for (const s of config.strategies) await engine.addStrategy({ id: s.id, kind: s.kind, instruments: [...s.instruments], params: { ...s.params } });
          api.lifecycle = 'running';
          daemon.adapterRef = api;
          port.attach(api);
          daemon.remote?.hook(api);
        },
        deactivate: async () => {
          const engine = daemon.engineRef;
          daemon.remote?.unhook();
          port.detach();
          daemon.adapterRef?.detach();
          daemon.adapterRef = undefined;
          if (engine === undefined) return;
          for (const h of engine.strategies.values()) h.stop();
          await engine.stop();
          daemon.engineRef = undefined;
        },
      });
    } catch (e) {
      await daemon.remote?.close().catch(() => undefined);
      await gateway.stop().catch(() => undefined);
      throw e;
    }
    port.lifecycle = 'standby';
    return daemon;
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
    parts.push(`strategies=${(this.engineRef === undefined ? this.config.strategies.map((s) => s.id) : [...this.engineRef.strategies.keys()]).join(',') || '-'}`);
    if (this.failover !== undefined) parts.push(`node=${this.failover.nodeId}`, 'role=standby');
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
      const e = this.engineRef;
      this.port.lifecycle = 'stopping';
      if (e !== undefined) for (const h of e.strategies.values()) h.stop();
      if (cancelOpenOrders && e !== undefined) {
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
      if (this.failover !== undefined) {
        // The engine (if this node owns the account) stops, the log flushes, the lease is released.
        step = 'failover (engine stop, replicated log flush, lease release)';
        await this.failover.close(Math.min(2000, Math.floor(timeoutMs / 4)));
      } else if (e !== undefined) {
        step = 'engine (drain, journal flush and close)';
        await e.stop();
        this.adapterRef?.detach();
      }
      // After the journal's last record: give the stream a bounded moment to take the rest (the next start sends what is left).
      step = 'cluster gateway (remote transport)';
      await this.remote?.close();
      step = 'cluster (replicated log flush)';
      await this.cluster?.close(Math.min(2000, Math.floor(timeoutMs / 4)));
      step = 'gateway';
      await this.gateway.stop();
      step = 'simulator';
      await this.sim?.stop();
      this.releaseSimLock?.();
      // last: the spans of the shutdown itself are exported too (bounded by its own timeout, never rejects)
      step = 'tracing (final export)';
      await this.tracing?.shutdown();
      this.port.lifecycle = 'stopped';
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
