import { parseOptions, z } from '../common/validate.js';
import { ConfigError } from '../common/errors.js';
import type { Role } from './engine-port.js';

/** Every gateway default in one place (docs/security.md and docs/config.md document it). */
export const GATEWAY_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 8080,
  requireNativeUws: false,
  slowConsumerPolicy: 'drop' as 'drop' | 'disconnect',
  limits: Object.freeze({
    maxPayloadBytes: 64 * 1024,
    feedMaxPayloadBytes: 1024 * 1024,
    messagesPerSec: 1000,
    burst: 2000,
    maxRateStrikes: 50,
    maxSubscriptions: 64,
    maxInflight: 64,
    maxBackpressureBytes: 1024 * 1024,
    idleTimeoutSec: 120,
    requestTimeoutMs: 5000,
    slowConsumerCheckMs: 250,
    authDeadlineMs: 10_000,
    // well under the common 1024 open-file limit, so /health, the journal and the venues keep descriptors
    maxConnections: 512,
    maxConnectionsPerIp: 64,
    reservedAdminConnections: 4,
    maxAuthFailures: 5,
    authFailureDelayMs: 250,
    authFailuresPerIpPerMin: 30,
    authFailureBurstPerIp: 10,
  }),
  allowedOrigins: Object.freeze([] as string[]),
  allowedHosts: Object.freeze([] as string[]),
});

const ROLES = ['read', 'trade', 'admin', 'feed'] as const;
const d = GATEWAY_DEFAULTS.limits;

const tokenSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  token: z.string().min(16).max(256).regex(/^[\x21-\x7e]+$/),
  roles: z.array(z.enum(ROLES)).min(1),
});

const limitsSchema = z.strictObject({
  maxPayloadBytes: z.number().int().min(256).max(16 * 1024 * 1024).default(d.maxPayloadBytes),
  feedMaxPayloadBytes: z.number().int().min(256).max(64 * 1024 * 1024).default(d.feedMaxPayloadBytes),
  messagesPerSec: z.number().int().min(1).max(10_000_000).default(d.messagesPerSec),
  burst: z.number().int().min(1).max(10_000_000).default(d.burst),
  maxRateStrikes: z.number().int().min(1).max(1_000_000).default(d.maxRateStrikes),
  maxSubscriptions: z.number().int().min(1).max(100_000).default(d.maxSubscriptions),
  maxInflight: z.number().int().min(1).max(100_000).default(d.maxInflight),
  maxBackpressureBytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(d.maxBackpressureBytes),
  idleTimeoutSec: z.number().int().min(0).max(960).refine((v) => v === 0 || v >= 8, { message: '0 (off) or 8-960 seconds' }).default(d.idleTimeoutSec),
  requestTimeoutMs: z.number().int().min(1).max(600_000).default(d.requestTimeoutMs),
  slowConsumerCheckMs: z.number().int().min(1).max(60_000).default(d.slowConsumerCheckMs),
  authDeadlineMs: z.number().int().min(50).max(600_000).default(d.authDeadlineMs),
  maxConnections: z.number().int().min(2).max(1_000_000).default(d.maxConnections),
  maxConnectionsPerIp: z.number().int().min(1).max(1_000_000).default(d.maxConnectionsPerIp),
  reservedAdminConnections: z.number().int().min(0).max(1000).default(d.reservedAdminConnections),
  maxAuthFailures: z.number().int().min(1).max(1000).default(d.maxAuthFailures),
  authFailureDelayMs: z.number().int().min(0).max(60_000).default(d.authFailureDelayMs),
  authFailuresPerIpPerMin: z.number().int().min(1).max(1_000_000).default(d.authFailuresPerIpPerMin),
  authFailureBurstPerIp: z.number().int().min(1).max(1_000_000).default(d.authFailureBurstPerIp),
});

/** `scheme://host[:port]` exactly as a browser sends it in `Origin` (no path, no trailing slash). */
const originSchema = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === v;
    } catch {
      return false;
    }
  },
  { message: 'an origin "http(s)://host[:port]" with no path or trailing slash' },
);

/** A host name or IP literal (IPv6 in brackets), lower case, no port. */
const hostNameSchema = z.string().refine(
  (v) => {
    try {
      return new URL(`http://${v}`).hostname === v;
    } catch {
      return false;
    }
  },
  { message: 'a lower-case host name or IP literal without port (IPv6 in brackets)' },
);

/** zod schema of the gateway options (`gateway:` in the daemon config). */
export const gatewayOptionsSchema = z.strictObject({
  host: z.string().min(1).default(GATEWAY_DEFAULTS.host),
  port: z.number().int().min(0).max(65535).default(GATEWAY_DEFAULTS.port),
  tokens: z.array(tokenSchema).default([]),
  tls: z
    .strictObject({
      certFile: z.string().min(1),
      keyFile: z.string().min(1),
      passphrase: z.string().optional(),
    })
    .optional(),
  limits: limitsSchema.default(limitsSchema.parse({})),
  slowConsumerPolicy: z.enum(['drop', 'disconnect']).default(GATEWAY_DEFAULTS.slowConsumerPolicy),
  requireNativeUws: z.boolean().default(GATEWAY_DEFAULTS.requireNativeUws),
  allowedOrigins: z.array(originSchema).max(256).default([]),
  allowedHosts: z.array(hostNameSchema).max(256).default([]),
});

/** Options as a caller writes them (everything optional). */
export type GatewayOptionsInput = z.input<typeof gatewayOptionsSchema>;
/** Validated, defaulted, frozen options. */
export type GatewayOptions = Readonly<z.output<typeof gatewayOptionsSchema>>;
/** One configured token. */
export type TokenConfig = z.output<typeof tokenSchema>;

/**
 * Validates gateway options once and merges tokens from the environment:
 * `BOT4_GATEWAY_TOKENS="name:token:role+role,name2:token2:role"` (secrets stay out of config files).
 * Throws `ConfigError` naming the field, the expectation and the value.
 */
export function parseGatewayOptions(input: unknown, env: NodeJS.ProcessEnv = process.env): GatewayOptions {
  const base = (input ?? {}) as Record<string, unknown>;
  const fromEnv = parseTokenEnv(env.BOT4_GATEWAY_TOKENS);
  const merged = fromEnv.length === 0 ? base : { ...base, tokens: [...((base.tokens as unknown[] | undefined) ?? []), ...fromEnv] };
  const opts = parseOptions(gatewayOptionsSchema, merged, 'gateway');
  const seen = new Set<string>();
  for (const [i, t] of opts.tokens.entries()) {
    if (seen.has(t.token)) throw new ConfigError(`gateway.tokens.${i}.token`, `gateway.tokens.${i}.token: expected a token not used by another entry, got a duplicate (name ${JSON.stringify(t.name)})`);
    seen.add(t.token);
  }
  const L = opts.limits;
  if (L.reservedAdminConnections >= L.maxConnections) {
    throw new ConfigError('gateway.limits.reservedAdminConnections', `gateway.limits.reservedAdminConnections: expected a value < limits.maxConnections (${L.maxConnections}), got ${L.reservedAdminConnections}`);
  }
  if (L.maxConnectionsPerIp > L.maxConnections - L.reservedAdminConnections) {
    throw new ConfigError(
      'gateway.limits.maxConnectionsPerIp',
      `gateway.limits.maxConnectionsPerIp: expected a value <= limits.maxConnections - limits.reservedAdminConnections (${L.maxConnections - L.reservedAdminConnections}), got ${L.maxConnectionsPerIp}`,
    );
  }
  return opts;
}

/** Parses `BOT4_GATEWAY_TOKENS` into raw token entries (validated afterwards by the schema). */
export function parseTokenEnv(value: string | undefined): { name: string; token: string; roles: string[] }[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((entry, i) => {
    const parts = entry.trim().split(':');
    if (parts.length !== 3) {
      throw new ConfigError('BOT4_GATEWAY_TOKENS', `BOT4_GATEWAY_TOKENS[${i}]: expected "name:token:role+role", got ${parts.length} colon-separated parts`);
    }
    const [name, token, roles] = parts as [string, string, string];
    return { name, token, roles: roles.split('+') };
  });
}

/** Roles, for docs and validation. */
export const GATEWAY_ROLES: readonly Role[] = ROLES;
