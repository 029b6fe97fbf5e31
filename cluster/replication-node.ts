// What the daemon starts when `cluster.enabled`: the replicated order log on its journal and, when
// `cluster.lease.enabled`, the venue lease that fences its orders. Both hang off the order journal
// (a tap and an OrderGate), so the engine's order path needs no other change.
import type { NatsConnection } from '@nats-io/transport-node';
import type { Clock } from '../common/clock.js';
import { logger } from '../common/log.js';
import type { OrderGate, OrderJournal } from '../actors/journal/order-journal.js';
import { VenueLease } from './lease.js';
import { connectCluster, defaultNodeId, JournalReplicator, type ReplicationHealth } from './replicated-log.js';
import type { ClusterOptions } from './replication-options.js';
import { LeaseStaleError } from './replication-errors.js';

/** Gates applied in order: the first refusal wins; the fence is the first gate's that has one. */
export function combineGates(gates: readonly OrderGate[]): OrderGate {
  if (gates.length === 1) return gates[0]!;
  return {
    admit() {
      for (const g of gates) {
        const e = g.admit();
        if (e !== undefined) return e;
      }
      return undefined;
    },
    get fence() {
      for (const g of gates) if (g.fence !== undefined) return g.fence;
      return undefined;
    },
    release<A, B>(seq: number, done: (err: Error | undefined, a: A, b: B) => void, a: A, b: B): void {
      const step = (i: number, err: Error | undefined): void => {
        if (err !== undefined || i === gates.length) return done(err, a, b);
        gates[i]!.release(seq, (e: Error | undefined) => step(i + 1, e), a, b);
      };
      step(0, undefined);
    },
  };
}

/** The cluster side of one daemon (see {@link startClusterNode}). */
export interface ClusterNode {
  readonly nodeId: string;
  readonly replicator: JournalReplicator | undefined;
  /** The lease, once NATS answered and the bucket is open. */
  readonly lease: VenueLease | undefined;
  /** Replication and lease figures for logs and health. */
  status(): { nodeId: string; replication?: ReplicationHealth; lease?: VenueLease['status'] | { role: 'connecting' } };
  /** Waits up to `flushMs` for the stream to hold every journal record, then disconnects (the lease, if owned, expires by TTL). */
  close(flushMs: number): Promise<void>;
}

/**
 * Starts replication of `journal` and, with `lease.enabled`, contends for the lease `lease.key`.
 * Never waits for NATS: connections are made in the background. Until the lease is owned, orders
 * are refused `LEASE_STALE`; under `replication.ack: sync`, until the stream acknowledges,
 * `REPLICATION_FAILED`.
 */
export function startClusterNode(cluster: ClusterOptions, journal: OrderJournal, clock: Clock): ClusterNode {
  const nodeId = cluster.nodeId || defaultNodeId();
  const replicator = cluster.replication.enabled ? JournalReplicator.start(journal.writer, cluster, clock, { nodeId }) : undefined;
  let lease: VenueLease | undefined;
  let nc: NatsConnection | undefined;
  let closed = false;
  const gates: OrderGate[] = [];
  if (cluster.lease.enabled) {
    // Until the bucket is open, no order passes.
    const pending: OrderGate = {
      admit: () => (lease === undefined ? new LeaseStaleError(`node ${nodeId}: venue lease ${cluster.lease.key} not acquired yet (NATS not reached)`, { key: cluster.lease.key }) : lease.admit()),
      get fence() {
        return lease?.fence;
      },
      release: (seq, done, a, b) => (lease === undefined ? done(pending.admit(), a, b) : lease.release(seq, done, a, b)),
    };
    gates.push(pending);
    void (async () => {
      try {
        nc = await connectCluster(cluster, `bot4-lease-${nodeId}`);
        if (closed) return void (await nc.close());
        // Retried until the bucket answers (JetStream may still be electing a leader).
        for (let attempt = 0; !closed; attempt++) {
          try {
            lease = await VenueLease.open(nc, cluster.lease, { key: cluster.lease.key, node: nodeId, clock, replicas: cluster.replication.replicas });
            break;
          } catch (e) {
            if (attempt === 0) logger.warn({ err: (e as Error).message, bucket: cluster.lease.bucket }, 'venue lease bucket not reachable yet; retrying');
            await new Promise<void>((r) => clock.setTimer(cluster.lease.renewMs, r));
          }
        }
        if (closed || lease === undefined) return;
        await lease.start();
      } catch (e) {
        logger.error({ err: e }, 'venue lease: cannot start');
      }
    })();
  }
  if (replicator !== undefined && cluster.replication.ack === 'sync') gates.push(replicator);
  if (gates.length > 0) journal.setGate(combineGates(gates));
  logger.info({ node: nodeId, replication: cluster.replication.enabled ? { stream: cluster.replication.stream, ack: cluster.replication.ack, replicas: cluster.replication.replicas } : false, lease: cluster.lease.enabled ? cluster.lease.key : false }, 'cluster node started');
  return {
    nodeId,
    replicator,
    get lease() {
      return lease;
    },
    status() {
      return {
        nodeId,
        ...(replicator === undefined ? {} : { replication: replicator.health }),
        ...(cluster.lease.enabled ? { lease: lease?.status ?? { role: 'connecting' as const } } : {}),
      };
    },
    async close(flushMs: number) {
      closed = true;
      journal.setGate(undefined);
      await lease?.close({ release: true });
      if (replicator !== undefined) {
        const done = await replicator.flush(flushMs);
        if (!done) logger.warn({ ...replicator.health }, 'replicated log: not every record reached the stream before shutdown; the next start sends the rest from the journal');
        await replicator.close();
      }
      await nc?.close().catch(() => undefined);
    },
  };
}
