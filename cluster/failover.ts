// Automatic takeover (`cluster.lease.takeover`): a daemon that starts as a standby, watches the
// venue lease, and when it wins rebuilds the account's journal from the replicated order log,
// starts its engine on it and resumes; when it loses the lease it stops the engine again.
// See docs/deployment.md#automatic-takeover.
//
// One stream per lease key: every daemon contending for `lease.key` configures the same
// `replication.stream` (the account's log). The new owner's journal is the stream's records 1..N
// byte for byte, so its replicator continues the SAME stream at N+1 with expected-last-msg-id N: a
// record the old owner still publishes afterwards (a partitioned owner reconnecting) is refused by
// JetStream and stops the old owner's replication with B4_REPLICATION_GAP. Under `ack: sync` (what
// failover needs: an order leaves only once the stream holds it) every order the old owner sent is
// in the stream the new owner rebuilt from; what it did not see (fills, acks) the venue actor
// reconciles by client order id at start, as after any restart.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Clock, TimerHandle } from '../common/clock.js';
import { ConfigError } from '../common/errors.js';
import { logger } from '../common/log.js';
import type { OrderGate, OrderJournal } from '../actors/journal/order-journal.js';
import { VenueLease, type LeaseStatus } from './lease.js';
import { connectCluster, defaultNodeId, JournalReplicator, type ReplicationHealth } from './replicated-log.js';
import { rebuildJournalFromStream, type RebuildReport } from './replicated-log-rebuild.js';
import type { ClusterOptions } from './replication-options.js';
import { combineGates } from './replication-node.js';

const log = logger.child({ component: 'failover' });

/** What the daemon does at each transition (see {@link startFailoverNode}). */
export interface FailoverHooks {
  /**
   * Starts the engine on the journal directory `dir` (just rebuilt from the stream) and returns its
   * journal; nothing may send an order yet (no strategy, no API orders): the gates are set next.
   */
  openEngine(dir: string, term: number): Promise<OrderJournal>;
  /** The gates are on the journal: start strategies and API order entry. */
  resume(term: number): Promise<void>;
  /** The lease is lost (or the node closes): stop strategies and the engine (orders are already refused). */
  deactivate(term: number, reason: string): Promise<void>;
}

/** One takeover, for logs, health and the failover chaos scenario. */
export interface TakeoverRecord {
  term: number;
  /** Epoch ms: lease won, journal rebuilt, engine started, trading resumed. */
  wonAt: number;
  rebuiltAt?: number;
  resumedAt?: number;
  rebuild?: RebuildReport;
  dir: string;
  error?: string;
  /** Older term directories deleted after this takeover succeeded ({@link pruneTermDirs}). */
  pruned?: string[];
}

/** Where a failover node stands. */
export interface FailoverStatus {
  nodeId: string;
  role: 'connecting' | 'standby' | 'activating' | 'owner' | 'stopped';
  lease?: LeaseStatus;
  replication?: ReplicationHealth;
  takeovers: readonly TakeoverRecord[];
}

/** The handle {@link startFailoverNode} returns. */
export interface FailoverNode {
  readonly nodeId: string;
  status(): FailoverStatus;
  /** Stops trading if active, flushes the log (bounded by `flushMs`), releases the lease (a standby takes over at its next read) and disconnects. */
  close(flushMs: number): Promise<void>;
}

const STREAM_NOT_FOUND = 10059;
const MAX_GAP_REBUILDS = 3;

/** Term directories sort by term: `term-0000000042`. */
export function termDir(root: string, term: number, attempt = 0): string {
  return path.join(root, `term-${String(term).padStart(10, '0')}${attempt === 0 ? '' : `-${attempt}`}`);
}

const TERM_DIR_RE = /^term-(\d+)(?:-\d+)?$/;

/**
 * Deletes the term directories under `root` ({@link termDir}) of every term older than the
 * previous one: after a takeover in `term` the current term's and the previous term's directories
 * stay (the previous owner's journal, for a look at what it saw); each one is a full copy of the
 * account's log up to its term, and the stream is the account's record. Returns the names deleted;
 * a directory that cannot be deleted is logged and left.
 */
export function pruneTermDirs(root: string, term: number): string[] {
  let names: string[];
  try {
    names = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && TERM_DIR_RE.test(d.name)).map((d) => d.name);
  } catch (e) {
    log.warn({ err: (e as Error).message, root }, 'failover: cannot list the term directories');
    return [];
  }
  const termOf = (name: string): number => Number(TERM_DIR_RE.exec(name)![1]);
  const previous = Math.max(-1, ...names.map(termOf).filter((t) => t < term));
  const deleted: string[] = [];
  for (const name of names.sort()) {
    if (termOf(name) >= previous) continue;
    try {
      rmSync(path.join(root, name), { recursive: true, force: true });
      deleted.push(name);
    } catch (e) {
      log.warn({ err: (e as Error).message, dir: path.join(root, name) }, 'failover: cannot delete an old term directory');
    }
  }
  if (deleted.length > 0) log.info({ root, term, deleted }, 'failover: old term directories deleted');
  return deleted;
}

/**
 * Validates what takeover needs: the lease and the replicated log on (the log is what the next owner
 * rebuilds from). Throws {@link ConfigError} naming the field.
 */
export function checkTakeoverOptions(cluster: ClusterOptions): void {
  if (!cluster.enabled) throw new ConfigError('cluster.enabled', `cluster.lease.takeover: expected cluster.enabled true, got ${String(cluster.enabled)}`);
  if (!cluster.lease.enabled) throw new ConfigError('cluster.lease.enabled', `cluster.lease.takeover: expected cluster.lease.enabled true, got ${String(cluster.lease.enabled)}`);
  if (!cluster.replication.enabled) throw new ConfigError('cluster.replication.enabled', `cluster.lease.takeover: expected cluster.replication.enabled true (the next owner rebuilds from the stream), got ${String(cluster.replication.enabled)}`);
  // The gateway across nodes routes a standby's orders to the lease's owner by its lease name: the
  // node name of remote actors must be that name.
  if (cluster.remote.enabled && cluster.nodeId !== '' && cluster.nodeId !== cluster.remote.node) {
    throw new ConfigError('cluster.remote.node', `cluster.remote.node: expected the lease's node name cluster.nodeId ("${cluster.nodeId}") with cluster.lease.takeover (orders are routed to the lease owner by that name), got "${cluster.remote.node}"`);
  }
}

/**
 * Starts a standby: connects to NATS in the background, contends for `cluster.lease.key`, and on
 * every win rebuilds `replication.stream` into a fresh term directory under `journalRoot`
 * ({@link termDir}), calls `hooks.openEngine`, attaches the replicator (continuing the stream) and
 * the gates (lease fence; `ack: sync` acknowledgement), then `hooks.resume`. On loss: `hooks.deactivate`.
 * Transitions run one at a time, in order.
 */
export function startFailoverNode(cluster: ClusterOptions, journalRoot: string, clock: Clock, hooks: FailoverHooks): FailoverNode {
  checkTakeoverOptions(cluster);
  const nodeId = cluster.nodeId || defaultNodeId();
  let nc: NatsConnection | undefined;
  let lease: VenueLease | undefined;
  let role: FailoverStatus['role'] = 'connecting';
  let closed = false;
  let active: { term: number; journal: OrderJournal; replicator: JournalReplicator } | undefined;
  const takeovers: TakeoverRecord[] = [];
  let chain: Promise<void> = Promise.resolve();
  let pending = 0;
  const enqueue = (f: () => Promise<void>): void => {
    pending++;
    chain = chain
      .then(f)
      .catch((e: unknown) => log.error({ err: e }, 'failover transition failed'))
      .finally(() => pending--);
  };
  /** A term whose engine was stopped because the fence closed (renewals failing) while the lease may still be ours. */
  let fencedTerm: number | undefined;
  let watchdog: TimerHandle | undefined;
  /** Rebuilds per term after a replication gap (bounded: a gap that keeps coming back is left stopped, logged). */
  const gapRebuilds = new Map<number, number>();
  const owns = (term: number): boolean => !closed && lease !== undefined && lease.status.role === 'owner' && lease.status.term === term;
  const sleep = (ms: number): Promise<void> => new Promise((r) => clock.setTimer(ms, r));

  const stopActive = async (reason: string): Promise<void> => {
    const a = active;
    if (a === undefined) return;
    active = undefined;
    try {
      await hooks.deactivate(a.term, reason);
    } finally {
      await a.replicator.close();
    }
  };

  const activate = async (term: number): Promise<void> => {
    if (!owns(term) || nc === undefined) return;
    fencedTerm = undefined;
    await stopActive('a new term began');
    role = 'activating';
    // Retried while we own the term: a stream that cannot be read now (a JetStream leader election)
    // may be readable a moment later; each attempt rebuilds into a fresh directory.
    let n = 0;
    for (let attempt = 0; owns(term); attempt++) {
      // A term resumed after its fence closed (or a failed attempt) rebuilds into the next free directory.
      while (existsSync(termDir(journalRoot, term, n))) n++;
      const rec: TakeoverRecord = { term, wonAt: clock.epochMs(), dir: termDir(journalRoot, term, n) };
      takeovers.push(rec);
      try {
        rec.rebuild = await rebuildOrEmpty(nc, cluster.replication.stream, rec.dir);
        rec.rebuiltAt = clock.epochMs();
        if (!owns(term)) return;
        const journal = await hooks.openEngine(rec.dir, term);
        // Continues the account's stream right after the records the journal was rebuilt from.
        const replicator = JournalReplicator.start(journal.writer, cluster, clock, { nodeId });
        active = { term, journal, replicator };
        const gates: OrderGate[] = [lease!];
        if (cluster.replication.ack === 'sync') gates.push(replicator);
        journal.setGate(combineGates(gates));
        if (!owns(term)) return await stopActive('lease lost while starting');
        await hooks.resume(term);
        rec.resumedAt = clock.epochMs();
        role = 'owner';
        rec.pruned = pruneTermDirs(journalRoot, term);
        log.warn({ node: nodeId, term, records: rec.rebuild.records, dir: rec.dir, rebuildMs: rec.rebuiltAt - rec.wonAt, resumeMs: rec.resumedAt - rec.wonAt }, 'failover: this node owns the venue account and trades');
        return;
      } catch (e) {
        rec.error = (e as Error).message;
        log.error({ err: e, term, attempt, dir: rec.dir }, 'failover: takeover attempt failed; retrying while the lease is ours');
        await stopActive(`takeover attempt failed: ${rec.error}`).catch(() => undefined);
        await sleep(cluster.lease.renewMs);
      }
    }
    if (role === 'activating') role = closed ? 'stopped' : 'standby';
  };

  void (async () => {
    try {
      nc = await connectCluster(cluster, `bot4-failover-${nodeId}`);
      if (closed) return void (await nc.close());
      for (let attempt = 0; !closed; attempt++) {
        try {
          lease = await VenueLease.open(nc, cluster.lease, {
            key: cluster.lease.key,
            node: nodeId,
            clock,
            replicas: cluster.replication.replicas,
            listener: {
              acquired: (term) => enqueue(() => activate(term)),
              lost: (term, reason) =>
                enqueue(async () => {
                  if (active?.term !== term) return;
                  log.warn({ node: nodeId, term, reason }, 'failover: lease lost; stopping the engine (standby again)');
                  await stopActive(reason);
                  if (!closed) role = 'standby';
                }),
            },
          });
          break;
        } catch (e) {
          if (attempt === 0) log.warn({ err: (e as Error).message, bucket: cluster.lease.bucket }, 'venue lease bucket not reachable yet; retrying');
          await sleep(cluster.lease.renewMs);
        }
      }
      if (closed || lease === undefined) return;
      role = 'standby';
      await lease.start();
      armWatchdog();
    } catch (e) {
      log.error({ err: e }, 'failover: cannot start');
    }
  })();

  // The fence closes `marginMs` before the lease can pass (renewals not getting through: NATS down,
  // a partition). Then the engine stops at once (strategies, venue actors: no cancel, no adoption
  // of the next owner's orders either), not only when the next owner's term becomes visible; if
  // the renewals get through again while the term is still ours, the takeover path runs again.
  function check(): void {
    watchdog = undefined;
    if (closed || lease === undefined) return;
    const st = lease.status;
    if (pending === 0) {
      if (active !== undefined && active.replicator.health.state === 'gap' && owns(active.term) && (gapRebuilds.get(active.term) ?? 0) < MAX_GAP_REBUILDS) {
        // The stream moved on after this takeover read it: a record the previous owner published
        // late (alive but slow, not killed). Our replicator stopped (the stream refused our record);
        // rebuild again from the stream, which now includes it, and start over in the same term.
        const term = active.term;
        gapRebuilds.set(term, (gapRebuilds.get(term) ?? 0) + 1);
        enqueue(async () => {
          if (active?.term !== term) return;
          log.warn({ node: nodeId, term, error: active.replicator.health.error }, 'failover: the account stream holds records this journal lacks (a late record of the previous owner); rebuilding again');
          await stopActive('replication gap: the stream holds records this journal lacks');
          await activate(term);
        });
      } else if (active !== undefined && st.role === 'owner' && st.term === active.term && !lease.valid) {
        const term = active.term;
        enqueue(async () => {
          if (active?.term !== term || lease!.valid) return;
          log.warn({ node: nodeId, term }, 'failover: lease fence closed (renewals not getting through); stopping the engine until the lease is sure again');
          fencedTerm = term;
          await stopActive('lease fence closed: renewals not getting through');
          if (!closed) role = 'standby';
        });
      } else if (active === undefined && fencedTerm !== undefined && owns(fencedTerm) && lease.valid) {
        const term = fencedTerm;
        log.warn({ node: nodeId, term }, 'failover: the lease renews again; resuming the same term');
        enqueue(() => activate(term));
      } else if (fencedTerm !== undefined && !owns(fencedTerm)) {
        fencedTerm = undefined;
      }
    }
    armWatchdog();
  }
  function armWatchdog(): void {
    if (!closed) watchdog = clock.setTimer(Math.max(20, Math.min(100, Math.floor(cluster.lease.renewMs / 2))), check);
  }

  log.info({ node: nodeId, key: cluster.lease.key, stream: cluster.replication.stream, journalRoot }, 'failover standby started');
  return {
    nodeId,
    status() {
      return {
        nodeId,
        role,
        ...(lease === undefined ? {} : { lease: lease.status }),
        ...(active === undefined ? {} : { replication: active.replicator.health }),
        takeovers: takeovers.map((t) => ({ ...t })),
      };
    },
    async close(flushMs: number) {
      closed = true;
      if (watchdog !== undefined) clock.clearTimer(watchdog);
      await chain;
      const a = active;
      if (a !== undefined) {
        active = undefined;
        await hooks.deactivate(a.term, 'shutdown');
        const done = await a.replicator.flush(flushMs);
        if (!done) log.warn({ ...a.replicator.health }, 'replicated log: not every record reached the stream before shutdown');
        await a.replicator.close();
      }
      role = 'stopped';
      await lease?.close({ release: true });
      await nc?.close().catch(() => undefined);
    },
  };
}

/** {@link rebuildJournalFromStream}, where a stream that does not exist yet (the account's first owner) is an empty journal. */
async function rebuildOrEmpty(nc: NatsConnection, stream: string, dir: string): Promise<RebuildReport> {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`takeover directory ${dir} is not empty`);
  try {
    return await rebuildJournalFromStream(nc, stream, dir);
  } catch (e) {
    const code = (e as { code?: unknown; api_error?: { err_code?: number } }).api_error?.err_code ?? (e as { code?: unknown }).code;
    if (code === STREAM_NOT_FOUND || /stream not found/i.test((e as Error).message ?? '')) return { records: 0, bytes: 0, segment: undefined };
    throw e;
  }
}
