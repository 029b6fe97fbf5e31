import { NODE_NAME_RE } from '../actors/runtime/remote.js';
import { z } from '../common/validate.js';

/**
 * `cluster.remote` of the daemon config: the gateway across nodes (docs/cluster.md, "Gateway across
 * nodes"). With it on, the daemon attaches a NATS remote transport to its actor system as node
 * `node`, shares the orders, fills, venue states and balances of the venues it runs with the other
 * nodes, shows theirs to its `/ws` clients, and routes API orders for their venues to the node
 * that runs them. Off by default; needs `cluster.enabled` (it uses `cluster.servers`).
 */
export const REMOTE_NODE_DEFAULTS = Object.freeze({
  enabled: false,
  /** This daemon's node name for remote actors (required when enabled). */
  node: '',
  /** Routing table: venue → node running it. Venues not listed are routed to the node that last announced them. */
  venues: Object.freeze({}) as Readonly<Record<string, string>>,
  /** How long an order or cancel routed to another node waits for that node's answer (keep it below the gateway's `limits.requestTimeoutMs`, 5000 by default, so the client gets the typed error). */
  askTimeoutMs: 4_000,
  /** How often this node announces the venues it runs (and their states) to the others. */
  announceMs: 1_000,
  /**
   * Events this node keeps for replays to other nodes that missed some (a NATS outage): a gap up to
   * this many events is replayed exactly; a longer one is answered with a snapshot of the orders.
   */
  replayEvents: 10_000,
});

const D = REMOTE_NODE_DEFAULTS;
const NODE_WORDS = 'a node name (lower-case letters, digits, "-"; e.g. "node-a")';
const VENUE_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Schema of `cluster.remote` (strict: an unknown field is an error naming it). */
export const remoteNodeSchema = z
  .strictObject({
    enabled: z.boolean().default(D.enabled),
    node: z
      .string()
      .refine((s) => s === '' || NODE_NAME_RE.test(s), { message: NODE_WORDS })
      .default(D.node),
    venues: z
      .record(z.string(), z.string().refine((s) => NODE_NAME_RE.test(s), { message: NODE_WORDS }))
      .superRefine((r, ctx) => {
        for (const k of Object.keys(r)) {
          if (!VENUE_RE.test(k)) ctx.addIssue({ code: 'custom', message: 'a venue name as key (letters, digits, "_", "-")', path: [k], input: k });
        }
      })
      .default({}),
    askTimeoutMs: z.number().int().min(100).max(600_000).default(D.askTimeoutMs),
    announceMs: z.number().int().min(50).max(600_000).default(D.announceMs),
    replayEvents: z.number().int().min(0).max(1_000_000).default(D.replayEvents),
  })
  .prefault({})
  .superRefine((r, ctx) => {
    if (r.enabled && r.node === '') ctx.addIssue({ code: 'custom', message: `${NODE_WORDS} when cluster.remote.enabled is true`, path: ['node'], input: r.node });
  });

/** `cluster.remote` after validation and defaults. */
export type RemoteNodeOptions = Readonly<z.output<typeof remoteNodeSchema>>;
