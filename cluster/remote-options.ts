import { NODE_NAME_RE } from '../actors/runtime/remote.js';
import { assertPattern, assertTopic } from '../actors/runtime/topics.js';
import { parseOptions, z } from '../common/validate.js';

/**
 * Options of the NATS remote-actor transport (`cluster.remote` in docs/cluster.md): schema,
 * defaults (one object, next to the schema) and parsing, once, at the edge, then frozen.
 */

/** Defaults of {@link RemoteOptions}. */
export const REMOTE_DEFAULTS = Object.freeze({
  servers: ['nats://127.0.0.1:4222'] as readonly string[],
  subjectPrefix: 'bot4',
  /** How long a send waits for the other node's enqueue acknowledgement before `B4_REMOTE_OUTCOME_UNKNOWN`. */
  sendTimeoutMs: 5_000,
  /** Topics whose local publishes also go to other nodes (subscription patterns). */
  exportTopics: [] as readonly string[],
  /** Topics this node receives from other nodes' publishes (subscription patterns). */
  importTopics: [] as readonly string[],
  /** Wait between reconnect attempts to NATS. */
  reconnectTimeWaitMs: 250,
  /** Reconnect attempts before the connection closes for good; -1 = forever. */
  maxReconnectAttempts: -1,
  /** Routing table: plain address → node serving it (used only when no local actor has that address). */
  routes: {} as Readonly<Record<string, string>>,
});

const pattern = z.string().refine(isPattern, { message: 'a subscription pattern (dot-separated tokens, "*" one token, ">" the rest)' });
const natsUrl = z.string().refine((s) => /^(nats|tls|ws|wss):\/\/[^\s/]+(:\d+)?\/?$/.test(s), { message: 'a NATS URL such as "nats://127.0.0.1:4222"' });

const remoteSchema = z
  .object({
    node: z.string().refine((s) => NODE_NAME_RE.test(s), { message: 'a node name (lower-case letters, digits, "-"; e.g. "node-a")' }),
    servers: z.union([natsUrl, z.array(natsUrl).min(1)]).default([...REMOTE_DEFAULTS.servers]),
    subjectPrefix: z.string().refine((s) => /^[A-Za-z0-9_-]+$/.test(s), { message: 'one NATS subject token (letters, digits, "_", "-")' }).default(REMOTE_DEFAULTS.subjectPrefix),
    sendTimeoutMs: z.number().int().min(1).max(600_000).default(REMOTE_DEFAULTS.sendTimeoutMs),
    exportTopics: z.array(pattern).default([...REMOTE_DEFAULTS.exportTopics]),
    importTopics: z.array(pattern).default([...REMOTE_DEFAULTS.importTopics]),
    reconnectTimeWaitMs: z.number().int().min(1).max(60_000).default(REMOTE_DEFAULTS.reconnectTimeWaitMs),
    maxReconnectAttempts: z.number().int().min(-1).default(REMOTE_DEFAULTS.maxReconnectAttempts),
    routes: z
      .record(z.string(), z.string().refine((s) => NODE_NAME_RE.test(s), { message: 'a node name (lower-case letters, digits, "-")' }))
      .superRefine((r, ctx) => {
        for (const k of Object.keys(r)) {
          if (!isPlainAddress(k)) ctx.addIssue({ code: 'custom', message: 'a plain actor address as key (dot-separated tokens, no node, no wildcard)', path: [k], input: k });
        }
      })
      .default({}),
  })
  .strict();

/** Options of the NATS remote transport. */
export interface RemoteOptions {
  /** This node's name (required): other nodes address its actors as `<node>/<address>`. */
  node: string;
  /** NATS server URL(s). Default `nats://127.0.0.1:4222`. */
  servers?: string | string[];
  /** First token of every subject this transport uses. Default `bot4`. */
  subjectPrefix?: string;
  /** Acknowledgement timeout of a remote send (ms). Default 5000. */
  sendTimeoutMs?: number;
  /** Patterns of local topics that are also published to other nodes. Default none. */
  exportTopics?: string[];
  /** Patterns of other nodes' topics delivered to this node's subscribers. Default none. */
  importTopics?: string[];
  /** Wait between reconnect attempts (ms). Default 250. */
  reconnectTimeWaitMs?: number;
  /** Reconnect attempts before giving up; -1 = forever. Default -1. */
  maxReconnectAttempts?: number;
  /** Plain address → node serving it, for addresses without a local actor (`{ 'exchange.sim-a': 'node-b' }`). Default none. */
  routes?: Record<string, string>;
}

/** Parsed, frozen options (`servers` always a list). */
export type ResolvedRemoteOptions = Readonly<Omit<z.output<typeof remoteSchema>, 'servers'> & { servers: readonly string[] }>;

/** Validates remote transport options; throws `ConfigError` naming field, expectation and value (`cluster.remote.node: expected ...`). */
export function parseRemoteOptions(input: unknown, where = 'cluster.remote'): ResolvedRemoteOptions {
  const o = parseOptions(remoteSchema, input, where);
  return Object.freeze({ ...o, servers: Object.freeze(typeof o.servers === 'string' ? [o.servers] : [...o.servers]) });
}

function isPlainAddress(s: string): boolean {
  if (s.includes('/') || s.startsWith('$')) return false;
  try {
    assertTopic(s, 'address');
    return true;
  } catch {
    return false;
  }
}

function isPattern(s: string): boolean {
  try {
    assertPattern(s);
    return true;
  } catch {
    return false;
  }
}
