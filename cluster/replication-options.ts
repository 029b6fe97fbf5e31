import { parseOptions, z } from '../common/validate.js';
import { REMOTE_NODE_DEFAULTS, remoteNodeSchema } from './remote-node.js';

/**
 * The `cluster:` section of the daemon config (docs/deployment.md has the reference and what each
 * setting decides). Off by default: without it the daemon needs no NATS.
 */
export const CLUSTER_DEFAULTS = Object.freeze({
  enabled: false,
  /** This daemon's name in the cluster (lease owner, log records' origin). '' = `<hostname>-<pid>`. */
  nodeId: '',
  servers: Object.freeze(['nats://127.0.0.1:4222']) as readonly string[],
  /** Connect/request timeout and pause between reconnect attempts to NATS. */
  connectTimeoutMs: 2000,
  reconnectWaitMs: 250,
  replication: Object.freeze({
    enabled: true,
    /** JetStream stream holding this journal's records, in order (one stream per journal). */
    stream: 'BOT4_ORDERS',
    subject: 'bot4.orders.log',
    /** Copies JetStream keeps (1, 3 or 5 in a 3/5-server cluster; 1 on a single server). */
    replicas: 1,
    /** Records older than this are dropped by JetStream (0: never). A rebuild needs the whole history: keep 0 unless snapshots are shipped another way. */
    maxAgeMs: 0,
    /** Stream size cap in bytes (-1: none). Hitting it refuses new records (discard: new) rather than losing history. */
    maxBytes: -1,
    /** `async`: orders leave once in the local journal; `sync`: once JetStream acknowledged their record too (see docs/deployment.md). */
    ack: 'async' as 'async' | 'sync',
    /** Messages awaiting their JetStream acknowledgement at once (each carries one or more consecutive records). */
    maxInFlight: 256,
    /** Largest message: consecutive records are sent together up to this many bytes (below NATS max_payload, 1 MiB by default). */
    maxBatchBytes: 256 * 1024,
    /** Records kept in memory waiting for NATS; beyond it the backlog is read back from the local journal. */
    maxQueued: 100_000,
    /** A publish not acknowledged within this is retried (async) or, under sync, its order is refused. */
    ackTimeoutMs: 2000,
    /** Pause between attempts to resume after a failed publish. */
    retryMs: 250,
    /** JetStream's msg-id dedup window: a retry within it is never stored twice. */
    duplicateWindowMs: 120_000,
  }),
  lease: Object.freeze({
    enabled: false,
    bucket: 'bot4_leases',
    /** The lease's key: names the venue accounts this daemon's journal trades (one lease per journal). */
    key: 'bot4',
    /** The lease is held for this long after the owner's last renewal request. */
    ttlMs: 3000,
    /** The owner renews this often (must be well below ttlMs). */
    renewMs: 1000,
    /** The owner stops sending orders this long before its lease could expire (clock drift, GC pauses). */
    marginMs: 500,
    /**
     * Automatic takeover (docs/deployment.md#automatic-takeover): the daemon starts as a standby
     * (no engine, /health not ready); when it wins the lease it rebuilds its journal from the
     * account's stream (`replication.stream`, shared by every daemon on `key`), starts the engine on
     * it and resumes trading; when it loses the lease it stops the engine again.
     */
    takeover: false,
  }),
  /** The gateway across nodes (cluster/remote-node.ts, docs/cluster.md). */
  remote: REMOTE_NODE_DEFAULTS,
});

const C = CLUSTER_DEFAULTS;

/** A string matching `re`; the message says what is expected in words (`expected <what>, got …`). */
const pattern = (re: RegExp, what: string) => z.string().refine((v) => re.test(v), { message: what });
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Schema of `cluster:` (strict: an unknown field is an error naming it). */
export const clusterSchema = z
  .strictObject({
    enabled: z.boolean().default(C.enabled),
    nodeId: pattern(/^[A-Za-z0-9_-]{0,64}$/, 'up to 64 letters, digits, _ or -').default(C.nodeId),
    servers: z.array(pattern(/^(nats|tls):\/\/[^\s]+$/, 'a nats:// or tls:// URL')).min(1).default([...C.servers]),
    connectTimeoutMs: z.number().int().min(100).max(60_000).default(C.connectTimeoutMs),
    reconnectWaitMs: z.number().int().min(10).max(60_000).default(C.reconnectWaitMs),
    replication: z
      .strictObject({
        enabled: z.boolean().default(C.replication.enabled),
        stream: pattern(NAME, 'a stream name of 1-64 letters, digits, _ or -').default(C.replication.stream),
        subject: pattern(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'a NATS subject without wildcards (tokens of letters, digits, _ or - joined by .)').default(C.replication.subject),
        replicas: z.number().int().min(1).max(5).default(C.replication.replicas),
        maxAgeMs: z.number().int().min(0).default(C.replication.maxAgeMs),
        maxBytes: z.number().int().min(-1).default(C.replication.maxBytes),
        ack: z.enum(['async', 'sync']).default(C.replication.ack),
        maxInFlight: z.number().int().min(1).max(65_536).default(C.replication.maxInFlight),
        maxBatchBytes: z.number().int().min(1024).max(64 * 2 ** 20).default(C.replication.maxBatchBytes),
        maxQueued: z.number().int().min(1).max(10_000_000).default(C.replication.maxQueued),
        ackTimeoutMs: z.number().int().min(50).max(600_000).default(C.replication.ackTimeoutMs),
        retryMs: z.number().int().min(10).max(600_000).default(C.replication.retryMs),
        duplicateWindowMs: z.number().int().min(1000).max(86_400_000).default(C.replication.duplicateWindowMs),
      })
      .prefault({}),
    lease: z
      .strictObject({
        enabled: z.boolean().default(C.lease.enabled),
        bucket: pattern(NAME, 'a bucket name of 1-64 letters, digits, _ or -').default(C.lease.bucket),
        key: pattern(/^[A-Za-z0-9_=-]+(\.[A-Za-z0-9_=-]+)*$/, 'a KV key (letters, digits, _ = - joined by .)').default(C.lease.key),
        ttlMs: z.number().int().min(500).max(600_000).default(C.lease.ttlMs),
        renewMs: z.number().int().min(50).max(600_000).default(C.lease.renewMs),
        marginMs: z.number().int().min(0).max(600_000).default(C.lease.marginMs),
        takeover: z.boolean().default(C.lease.takeover),
      })
      .prefault({})
      .refine((l) => l.renewMs + l.marginMs < l.ttlMs, { message: 'renewMs + marginMs < ttlMs (the owner must renew before it fences itself)' }),
    remote: remoteNodeSchema,
  })
  .superRefine((c, ctx) => {
    if (c.remote.enabled && !c.enabled) ctx.addIssue({ code: 'custom', message: 'true when cluster.remote.enabled is true (the gateway across nodes uses cluster.servers)', path: ['enabled'], input: c.enabled });
  })
  .prefault({});

/** `cluster:` after validation and defaults. */
export type ClusterOptions = Readonly<z.output<typeof clusterSchema>>;
export type ReplicationOptions = ClusterOptions['replication'];
export type LeaseOptions = ClusterOptions['lease'];
/** `cluster:` as written. */
export type ClusterOptionsInput = z.input<typeof clusterSchema>;

/** Validates `cluster:`; throws `ConfigError` naming the field, what was expected and what arrived. */
export function parseClusterOptions(input: unknown): ClusterOptions {
  return parseOptions(clusterSchema, input ?? {}, 'cluster');
}
