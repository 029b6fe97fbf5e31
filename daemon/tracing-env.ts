import { readFileSync } from 'node:fs';
import { ConfigError } from '../common/errors.js';
import type { ActorTracingOptions } from '../actors/runtime/tracing/actor-tracing.js';
import type { DaemonConfig } from './config.js';

/** `OTEL_TRACES_SAMPLER` values bot4 supports (the SDK's, without the remote samplers). */
export const TRACING_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
/** One of {@link TRACING_SAMPLERS}. */
export type TracingSampler = (typeof TRACING_SAMPLERS)[number];

/** What the daemon starts tracing with, once the config file, the environment and `--trace` are merged. */
export interface ResolvedTracing {
  /** False: no OpenTelemetry module is loaded at all. */
  enabled: boolean;
  /** Why it is on or off (logged at start). */
  reason: string;
  /** Options of the daemon's `ActorTracing` (meaningful when enabled). */
  options: ActorTracingOptions & { endpoint: string; serviceName: string; simServiceName: string; samplingRatio: number; resourceAttributes: Record<string, string> };
  /** The sampler in effect (`OTEL_TRACES_SAMPLER` or `tracing.sampler`). */
  sampler: TracingSampler;
}

const TRUE = /^true$/i;

/** The package version (`service.version`). */
function packageVersion(): string {
  try {
    return String((JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown }).version ?? '');
  } catch {
    return '';
  }
}

/**
 * `key1=value1,key2=value2` (W3C Baggage-like, as `OTEL_RESOURCE_ATTRIBUTES` and
 * `OTEL_EXPORTER_OTLP_HEADERS`): values percent-decoded. Throws `ConfigError` naming `name`.
 */
export function parseKeyValueList(name: string, text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? '' : part.slice(0, eq).trim();
    if (key === '') throw new ConfigError(name, `${name}: expected comma-separated key=value pairs, got ${JSON.stringify(part)}`);
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new ConfigError(name, `${name}: expected a percent-encoded value for ${key}, got ${JSON.stringify(part.slice(eq + 1))}`);
    }
    out[key] = value;
  }
  return out;
}

function checkUrl(name: string, v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(name, `${name}: expected an http(s) URL, got ${JSON.stringify(v)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(name, `${name}: expected an http(s) URL, got ${JSON.stringify(v)}`);
  return v;
}

/** `<base>/v1/traces`, as the SDK builds it from `OTEL_EXPORTER_OTLP_ENDPOINT`. */
function tracesUrl(base: string): string {
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Merges the `tracing:` section, the standard OpenTelemetry environment variables and `--trace`.
 * The environment wins over the file, variable by variable (the file is the deployment's
 * default, the environment is what an operator sets for one run; note that in `@opentelemetry/sdk-node`
 * values passed in code win over the environment: bot4's config file is not code). The
 * variables mean what the SDK makes of them:
 *
 * - `OTEL_SDK_DISABLED=true`: off, whatever else is set; `OTEL_TRACES_EXPORTER=none`: off;
 *   `otlp`: on (any other value is refused: only OTLP/HTTP protobuf is built in).
 * - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is) or `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`):
 *   the receiver; either one being set turns tracing on.
 * - `OTEL_EXPORTER_OTLP_PROTOCOL` / `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`: only `http/protobuf`.
 * - `OTEL_EXPORTER_OTLP_HEADERS` / `OTEL_EXPORTER_OTLP_TRACES_HEADERS`: extra export headers.
 * - `OTEL_SERVICE_NAME`, else `service.name` of `OTEL_RESOURCE_ATTRIBUTES`, else `tracing.serviceName`.
 * - `OTEL_RESOURCE_ATTRIBUTES`: merged over `tracing.resourceAttributes` (`service.version` defaults to bot4's version).
 * - `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`: the root sampler and its ratio.
 *
 * Tracing is on when `tracing.enabled`, `--trace`, an OTLP endpoint variable or
 * `OTEL_TRACES_EXPORTER=otlp` says so (and nothing turns it off). Throws `ConfigError`
 * (`B4_CONFIG_INVALID`) naming the variable or field.
 */
export function resolveTracing(cfg: DaemonConfig['tracing'], env: NodeJS.ProcessEnv, flag = false): ResolvedTracing {
  const get = (k: string): string | undefined => {
    const v = env[k];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const exporter = get('OTEL_TRACES_EXPORTER');
  if (exporter !== undefined && exporter !== 'otlp' && exporter !== 'none') {
    throw new ConfigError('OTEL_TRACES_EXPORTER', `OTEL_TRACES_EXPORTER: expected "otlp" or "none" (bot4 exports OTLP/HTTP protobuf only), got ${JSON.stringify(exporter)}`);
  }
  for (const k of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const p = get(k);
    if (p !== undefined && p !== 'http/protobuf') throw new ConfigError(k, `${k}: expected "http/protobuf" (the only protocol bot4 exports), got ${JSON.stringify(p)}`);
  }
  const tracesEndpoint = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  const endpoint =
    tracesEndpoint !== undefined ? checkUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint) : baseEndpoint !== undefined ? tracesUrl(checkUrl('OTEL_EXPORTER_OTLP_ENDPOINT', baseEndpoint)) : tracesUrl(cfg.endpoint);

  const samplerEnv = get('OTEL_TRACES_SAMPLER');
  if (samplerEnv !== undefined && !(TRACING_SAMPLERS as readonly string[]).includes(samplerEnv)) {
    throw new ConfigError('OTEL_TRACES_SAMPLER', `OTEL_TRACES_SAMPLER: expected one of ${TRACING_SAMPLERS.join(', ')}, got ${JSON.stringify(samplerEnv)}`);
  }
  const sampler = (samplerEnv ?? cfg.sampler) as TracingSampler;
  let ratio = cfg.samplerArg;
  const argEnv = get('OTEL_TRACES_SAMPLER_ARG');
  if (argEnv !== undefined) {
    const n = Number(argEnv);
    if (!/^[0-9.eE+-]+$/.test(argEnv) || !Number.isFinite(n) || n < 0 || n > 1) throw new ConfigError('OTEL_TRACES_SAMPLER_ARG', `OTEL_TRACES_SAMPLER_ARG: expected a ratio from 0 to 1, got ${JSON.stringify(argEnv)}`);
    ratio = n;
  }
  // Every sampler is parent-based inside the engine: a message follows its root's decision so a
  // sampled order is complete. The plain variants differ only for a remote parent, which the
  // engine does not accept from its API clients.
  const samplingRatio = sampler.endsWith('always_on') ? 1 : sampler.endsWith('always_off') ? 0 : ratio;

  const fromEnv = get('OTEL_RESOURCE_ATTRIBUTES');
  const resourceAttributes: Record<string, string> = { 'service.version': packageVersion(), ...cfg.resourceAttributes, ...(fromEnv === undefined ? {} : parseKeyValueList('OTEL_RESOURCE_ATTRIBUTES', fromEnv)) };
  const serviceName = get('OTEL_SERVICE_NAME') ?? (fromEnv !== undefined ? resourceAttributes['service.name'] : undefined) ?? cfg.serviceName;
  delete resourceAttributes['service.name'];
  const headersEnv = get('OTEL_EXPORTER_OTLP_TRACES_HEADERS') ?? get('OTEL_EXPORTER_OTLP_HEADERS');
  const headersName = get('OTEL_EXPORTER_OTLP_TRACES_HEADERS') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_HEADERS' : 'OTEL_EXPORTER_OTLP_HEADERS';
  const headers = headersEnv === undefined ? undefined : parseKeyValueList(headersName, headersEnv);

  let enabled = cfg.enabled;
  let reason = enabled ? 'tracing.enabled' : 'off by default';
  if (flag) [enabled, reason] = [true, '--trace'];
  if (exporter === 'otlp') [enabled, reason] = [true, 'OTEL_TRACES_EXPORTER=otlp'];
  if (tracesEndpoint !== undefined || baseEndpoint !== undefined) [enabled, reason] = [true, tracesEndpoint !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (exporter === 'none') [enabled, reason] = [false, 'OTEL_TRACES_EXPORTER=none'];
  if (TRUE.test(get('OTEL_SDK_DISABLED') ?? '')) [enabled, reason] = [false, 'OTEL_SDK_DISABLED=true'];

  return {
    enabled,
    reason,
    sampler,
    options: {
      endpoint,
      serviceName,
      simServiceName: cfg.simServiceName,
      samplingRatio,
      maxTracesPerSecond: cfg.maxTracesPerSecond,
      maxQueueSize: cfg.maxQueueSize,
      resourceAttributes,
      // /metrics has its own per-actor timing: the adapter's histograms would be read by nobody
      histograms: false,
      ...(headers === undefined ? {} : { headers }),
    },
  };
}
