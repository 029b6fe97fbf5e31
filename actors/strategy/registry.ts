import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Bot4Error, ConfigError } from '../../common/errors.js';
import { CONSTANT_RATE_DEFAULTS, constantRateParamsSchema, createConstantRate } from './constant-rate.js';
import { StrategyLoadError, StrategyModuleError, StrategyUnknownError } from './errors.js';
import { MARKET_MAKER_DEFAULTS, createMarketMaker, marketMakerParamsSchema } from './market-maker.js';
import { PAIRS_DEFAULTS, createPairs, pairsParamsSchema } from './pairs.js';
import { parseStrategySpec } from './spec.js';
import type { Strategy, StrategyFactory, StrategySpec } from './strategy.js';

/** A strategy that ships with bot4. */
export interface BuiltinStrategy {
  readonly name: string;
  readonly summary: string;
  /** How many instruments its spec must list. */
  readonly instruments: { readonly min: number; readonly max: number };
  /** Param defaults (docs/strategies.md lists them). */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** Zod schema of its params. */
  readonly schema: typeof marketMakerParamsSchema | typeof pairsParamsSchema | typeof constantRateParamsSchema;
  /** Validates `params` (errors name `<where>.<field>`) and builds the strategy. */
  create(params: Record<string, unknown>, where?: string): Strategy;
}

/** Built-in strategies by `kind`. */
export const BUILTIN_STRATEGIES: Readonly<Record<'market-maker' | 'pairs' | 'constant-rate', BuiltinStrategy>> = Object.freeze({
  'market-maker': Object.freeze({
    name: 'market-maker',
    summary: 'two-sided quotes around mid with inventory skew and an inventory cap',
    instruments: { min: 1, max: 64 },
    defaults: MARKET_MAKER_DEFAULTS,
    schema: marketMakerParamsSchema,
    create: createMarketMaker,
  }),
  pairs: Object.freeze({
    name: 'pairs',
    summary: 'z-score of a log-price spread of two correlated instruments, IOC at the touch',
    instruments: { min: 2, max: 2 },
    defaults: PAIRS_DEFAULTS,
    schema: pairsParamsSchema,
    create: createPairs,
  }),
  'constant-rate': Object.freeze({
    name: 'constant-rate',
    summary: 'limit orders at a fixed rate, alternating sides (load tests)',
    instruments: { min: 1, max: 64 },
    defaults: CONSTANT_RATE_DEFAULTS,
    schema: constantRateParamsSchema,
    create: createConstantRate,
  }),
});

/** What {@link loadStrategy} returns. */
export interface LoadedStrategy {
  /** The validated, frozen spec. */
  readonly spec: Readonly<StrategySpec>;
  readonly strategy: Strategy;
  /** `builtin` or the module's file URL. */
  readonly source: string;
}

/** Options of {@link loadStrategy}. */
export interface LoadStrategyOptions {
  /** Directory relative module paths are resolved against. Default `process.cwd()`. */
  baseDir?: string;
}

const CALLBACKS = ['onStart', 'onTicker', 'onTrade', 'onOrderUpdate', 'onDenied', 'onFill', 'onTimer', 'onStop'] as const;

/** True when `kind` names a module rather than a built-in: a path, a file URL or a script name. */
export function isModulePath(kind: string): boolean {
  return kind.startsWith('.') || kind.startsWith('file:') || kind.includes('/') || kind.includes('\\') || /\.(c|m)?(j|t)s$/.test(kind);
}

let tsxRegistered = false;
/**
 * A strategy written in TypeScript (`kind: './strategies/ping.ts'`) needs a loader: from the
 * sources (tests, development) tsx is already registered; the compiled daemon (dist/, whose own
 * modules end in `.js`) registers tsx once, only when it first imports a `.ts` strategy.
 */
async function ensureTypeScriptLoader(url: string): Promise<void> {
  if (tsxRegistered || !/\.[cm]?ts$/.test(new URL(url).pathname) || !import.meta.url.endsWith('.js')) return;
  // what `node --import tsx` does: ESM and CommonJS hooks (a .ts file outside a `"type": "module"`
  // package is CommonJS to tsx)
  const tsx: string = 'tsx';
  await import(tsx);
  tsxRegistered = true;
}

/**
 * Validates `spec` and builds its strategy: a built-in by name (params validated by its schema,
 * errors naming `strategies.<id>.params.<field>`), or the default export (a {@link StrategyFactory})
 * of the module at the path `kind`, called with `params`.
 *
 * Throws `ConfigError` (bad spec, params or instrument count), {@link StrategyUnknownError} (not a
 * built-in nor a path), {@link StrategyLoadError} (the module cannot be imported) or
 * {@link StrategyModuleError} (no factory default export, the factory threw something other than
 * a bot4 error, or returned no strategy).
 */
export async function loadStrategy(spec: StrategySpec, options: LoadStrategyOptions = {}): Promise<LoadedStrategy> {
  const s = parseStrategySpec(spec);
  const where = `strategies.${s.id}`;
  const params = { ...s.params };
  const builtin = (BUILTIN_STRATEGIES as Record<string, BuiltinStrategy | undefined>)[s.kind];
  if (builtin !== undefined && Object.hasOwn(BUILTIN_STRATEGIES, s.kind)) {
    const { min, max } = builtin.instruments;
    if (s.instruments.length < min || s.instruments.length > max) {
      const expected = min === max ? `exactly ${min}` : `${min} to ${max}`;
      throw new ConfigError(`${where}.instruments`, `${where}.instruments: expected ${expected} instruments for ${s.kind}, got ${s.instruments.length}`);
    }
    return Object.freeze({ spec: s, strategy: builtin.create(params, `${where}.params`), source: 'builtin' });
  }
  if (!isModulePath(s.kind)) throw new StrategyUnknownError(s.id, s.kind, Object.keys(BUILTIN_STRATEGIES));
  const url = s.kind.startsWith('file:') ? s.kind : pathToFileURL(path.resolve(options.baseDir ?? process.cwd(), s.kind)).href;
  let mod: { default?: unknown };
  try {
    await ensureTypeScriptLoader(url);
    mod = (await import(url)) as { default?: unknown };
  } catch (err) {
    throw new StrategyLoadError(s.id, s.kind, err);
  }
  let factory = mod.default;
  // A CommonJS module's exports arrive as `default`; its own `exports.default` is one level down.
  if (factory !== null && typeof factory === 'object' && typeof (factory as { default?: unknown }).default === 'function') {
    factory = (factory as { default: unknown }).default;
  }
  if (typeof factory !== 'function') {
    throw new StrategyModuleError(s.id, s.kind, `expected a default export that is a StrategyFactory function, got ${factory === null ? 'null' : typeof factory}`);
  }
  let strategy: unknown;
  try {
    strategy = (factory as StrategyFactory)(params);
  } catch (err) {
    if (isBot4Error(err)) throw err;
    throw new StrategyModuleError(s.id, s.kind, `the factory threw: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (strategy === null || typeof strategy !== 'object') {
    throw new StrategyModuleError(s.id, s.kind, `expected the factory to return a Strategy object, got ${strategy === null ? 'null' : typeof strategy}`);
  }
  for (const k of CALLBACKS) {
    const f = (strategy as Record<string, unknown>)[k];
    if (f !== undefined && typeof f !== 'function') throw new StrategyModuleError(s.id, s.kind, `${k}: expected a function, got ${typeof f}`);
  }
  return Object.freeze({ spec: s, strategy: strategy as Strategy, source: url });
}

/**
 * A bot4 error, also when it comes from another instance of `common/errors` (a user module loaded
 * through a different module graph, e.g. CommonJS next to ESM under a test runner): by class or by
 * a `B4_` code.
 */
function isBot4Error(e: unknown): boolean {
  if (e instanceof Bot4Error) return true;
  const code = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('B4_');
}
