import { z } from '../common/validate.js';
import { parseOptions } from '../common/validate.js';
import { ConfigError } from '../common/errors.js';
import { describeValue } from '../common/describe.js';
import type { GwCode, GwErrorBody } from './errors.js';
import type { Role } from './engine-port.js';

/** The protocol version this gateway speaks (`"v"` of every message). */
export const PROTOCOL_VERSION = 1;

const name = z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/);
const symbol = z.string().regex(/^[A-Za-z0-9_.-]{1,24}(\/[A-Za-z0-9_.-]{1,24})?$/);
const safeInt = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const clientOrderId = z.string().regex(/^[A-Za-z0-9_-]{1,36}$/);
const orderId = z.string().min(1).max(64);

/** Topics a `/ws` client may subscribe to (exact strings; uWS topics have no wildcards). */
export const FIXED_TOPICS = ['orders', 'fills', 'positions', 'balances', 'breakers', 'risk.denials', 'actors.latency', 'killswitch', 'status'] as const;
const MD_TOPIC = /^md\.(ticker|trade|book)\.[A-Za-z0-9_.-]{1,32}\.[A-Za-z0-9_.-]{1,24}(\/[A-Za-z0-9_.-]{1,24})?$/;
const fixedTopicSet: ReadonlySet<string> = new Set(FIXED_TOPICS);

/** Whether `t` is a topic clients may subscribe to. */
export function isValidTopic(t: string): boolean {
  return fixedTopicSet.has(t) || MD_TOPIC.test(t);
}

const topics = z.array(z.string().max(128)).min(1).max(256);

/** Argument schemas per operation, with the role each needs (`null`: no authentication). */
export const OPS = {
  authenticate: { role: null, args: z.strictObject({ token: z.string().min(1).max(512) }) },
  ping: { role: null, args: z.strictObject({}) },
  subscribe: { role: 'read', args: z.strictObject({ topics }) },
  unsubscribe: { role: 'read', args: z.strictObject({ topics }) },
  'order.submit': {
    role: 'trade',
    args: z.strictObject({
      clientOrderId: clientOrderId.optional(),
      strategy: name.default('api'),
      venue: name,
      symbol,
      side: z.enum(['buy', 'sell']),
      type: z.enum(['limit', 'market', 'limit-maker']),
      tif: z.enum(['GTC', 'IOC', 'FOK']).default('GTC'),
      priceTicks: safeInt,
      qtyLots: safeInt,
      reduceOnly: z.boolean().default(false),
    }),
  },
  'order.cancel': {
    role: 'trade',
    args: z
      .strictObject({ orderId: orderId.optional(), clientOrderId: clientOrderId.optional(), venue: name.optional(), symbol: symbol.optional() })
      .refine((a) => a.orderId !== undefined || a.clientOrderId !== undefined, { message: 'orderId or clientOrderId', path: ['orderId'] }),
  },
  'order.cancelAll': { role: 'trade', args: z.strictObject({ venue: name.optional(), symbol: symbol.optional(), strategy: name.optional() }) },
  'killSwitch.set': { role: 'admin', args: z.strictObject({ state: z.enum(['ACTIVE', 'REDUCING', 'HALTED']) }) },
  'status.get': { role: 'read', args: z.strictObject({}) },
  'orders.get': {
    role: 'read',
    args: z.strictObject({
      status: z.enum(['open', 'closed', 'all']).default('open'),
      venue: name.optional(),
      symbol: symbol.optional(),
      strategy: name.optional(),
      limit: z.number().int().min(1).max(1000).default(100),
    }),
  },
  'positions.get': { role: 'read', args: z.strictObject({}) },
  'balances.get': { role: 'read', args: z.strictObject({}) },
  'breakers.get': { role: 'read', args: z.strictObject({}) },
  'riskLimits.get': { role: 'read', args: z.strictObject({}) },
  'instruments.get': { role: 'read', args: z.strictObject({}) },
  'strategy.start': { role: 'admin', args: z.strictObject({ id: name }) },
  'strategy.stop': { role: 'admin', args: z.strictObject({ id: name }) },
  'venue.resume': { role: 'admin', args: z.strictObject({ venue: name, acceptBalances: z.boolean().default(false) }) },
} as const satisfies Record<string, { role: Role | null; args: z.ZodType }>;

/** Operation names. */
export type OpName = keyof typeof OPS;
/** Parsed arguments of an operation. */
export type OpArgs<K extends OpName> = z.output<(typeof OPS)[K]['args']>;

/** A request id: a string of 1–64 characters or a safe integer. */
export type RequestId = string | number;

/** A parsed envelope, or the error reply to send for it. */
export type Envelope =
  | { ok: true; id: RequestId; op: OpName; args: unknown }
  | { ok: false; id: RequestId | null; error: GwErrorBody };

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Checks the envelope `{ v, id, op, args? }` of a parsed JSON value. Field order of the checks is
 * part of the protocol: id first (so even a wrong version gets a reply carrying its id), then the
 * version, then the op.
 */
export function parseEnvelope(msg: unknown): Envelope {
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    return fail(null, 'GW_BAD_REQUEST', `message: expected a JSON object, got ${describeValue(msg)}`, 'message');
  }
  const m = msg as Record<string, unknown>;
  const id = m.id;
  if (!((typeof id === 'string' && id.length >= 1 && id.length <= 64) || (typeof id === 'number' && Number.isSafeInteger(id)))) {
    return fail(null, 'GW_BAD_REQUEST', `id: expected a string of 1-64 characters or a safe integer, got ${describeValue(id)}`, 'id');
  }
  if (m.v !== PROTOCOL_VERSION) {
    if (!hasOwn.call(m, 'v')) return fail(id, 'GW_BAD_REQUEST', `v: expected ${PROTOCOL_VERSION}, got undefined`, 'v');
    return fail(id, 'GW_UNSUPPORTED_VERSION', `v: expected ${PROTOCOL_VERSION}, got ${describeValue(m.v)}`, 'v');
  }
  const op = m.op;
  if (typeof op !== 'string') return fail(id, 'GW_BAD_REQUEST', `op: expected a string, got ${describeValue(op)}`, 'op');
  if (!hasOwn.call(OPS, op)) return fail(id, 'GW_UNKNOWN_OP', `op: expected one of ${Object.keys(OPS).join(', ')}, got ${describeValue(op)}`, 'op');
  for (const k of Object.keys(m)) {
    if (k !== 'v' && k !== 'id' && k !== 'op' && k !== 'args') return fail(id, 'GW_BAD_REQUEST', `message: expected no unknown keys (${k}), got ${describeValue(k)}`, k);
  }
  return { ok: true, id, op: op as OpName, args: m.args };
}

/**
 * Validates an operation's arguments with its zod schema, formatting a failure like
 * `parseOptions` does (`args.priceTicks: expected an integer, got "12"`).
 */
export function parseArgs<K extends OpName>(op: K, args: unknown): { ok: true; value: OpArgs<K> } | { ok: false; error: GwErrorBody } {
  if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) {
    return { ok: false, error: { code: 'GW_BAD_REQUEST', message: `args: expected an object, got ${describeValue(args)}`, field: 'args' } };
  }
  try {
    return { ok: true, value: parseOptions(OPS[op].args, args ?? {}, 'args') as OpArgs<K> };
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, error: { code: 'GW_BAD_REQUEST', message: e.message, field: e.field } };
    throw e;
  }
}

function fail(id: RequestId | null, code: GwCode, message: string, field?: string): Envelope {
  return { ok: false, id, error: field === undefined ? { code, message } : { code, message, field } };
}

/** Serialises a success reply. */
export function okReply(id: RequestId, result: unknown): string {
  return stringify({ v: PROTOCOL_VERSION, id, ok: true, result });
}

/** Serialises an error reply. */
export function errorReply(id: RequestId | null, error: GwErrorBody): string {
  return stringify({ v: PROTOCOL_VERSION, id, ok: false, error });
}

/** Serialises a pushed event (no id: events are not replies). */
export function eventMessage(topic: string, data: unknown): string {
  return stringify({ v: PROTOCOL_VERSION, topic, data });
}

/** JSON.stringify that falls back to rendering bigint as decimal strings (rare: the fast path first). */
export function stringify(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  }
}
