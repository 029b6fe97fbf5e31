import type { Clock } from '../../common/clock.js';
import { LiveClock } from '../../common/clock.js';
import { describeValue } from '../../common/describe.js';
import { ConfigError } from '../../common/errors.js';
import { parseOptions, z } from '../../common/validate.js';
import type { Scheduler } from './scheduler.js';
import { defaultScheduler } from './scheduler.js';

/**
 * Options of the actor system and of each spawned actor: schemas, defaults (one object each,
 * next to the schema) and parsing. Everything is validated once, at `new ActorSystem()` and
 * `spawn()`, then frozen.
 */

/** Defaults of {@link ActorSystemOptions}. */
export const SYSTEM_DEFAULTS = Object.freeze({
  name: 'bot4',
  seed: 0,
  /** Envelopes one actor handles per turn before the next ready actor gets its turn (fairness). */
  actorBudget: 512,
  /** Envelopes handed to a machine in one `batch` event. */
  batchSize: 128,
  /** Envelopes one pump run handles before yielding to the event loop (timers, sockets). */
  pumpBudget: 16_384,
  /** Clock ns one pump run may take before yielding (checked between actor turns). */
  pumpTimeNs: 2_000_000,
});

const systemSchema = z
  .object({
    name: z.string().min(1).default(SYSTEM_DEFAULTS.name),
    seed: z.number().int().min(0).max(0xffffffff).default(SYSTEM_DEFAULTS.seed),
    actorBudget: z.number().int().min(1).default(SYSTEM_DEFAULTS.actorBudget),
    batchSize: z.number().int().min(1).max(65_536).default(SYSTEM_DEFAULTS.batchSize),
    pumpBudget: z.number().int().min(1).default(SYSTEM_DEFAULTS.pumpBudget),
    pumpTimeNs: z.number().int().min(1).default(SYSTEM_DEFAULTS.pumpTimeNs),
  })
  .strict();

/** Options of `new ActorSystem(options)`. */
export interface ActorSystemOptions {
  /** Clock for enqueue times, timers and backoff; default a `LiveClock`. */
  clock?: Clock;
  /** Where the delivery loop runs; default from the clock (see `defaultScheduler`). */
  scheduler?: Scheduler;
  /** Name in diagnostics events. Default `'bot4'`. */
  name?: string;
  /** Seed (uint32) for correlation ids and restart jitter: same seed + inputs → same run. Default 0. */
  seed?: number;
  /** Envelopes per actor turn (fairness). Default 512. */
  actorBudget?: number;
  /** Envelopes per machine `batch` event. Default 128. */
  batchSize?: number;
  /** Envelopes per pump run before yielding to the event loop. Default 16384. */
  pumpBudget?: number;
  /** Clock ns per pump run before yielding. Default 2 ms. */
  pumpTimeNs?: number;
}

/** Parsed, frozen system options. */
export type ResolvedSystemOptions = Readonly<z.output<typeof systemSchema>> & { readonly clock: Clock; readonly scheduler: Scheduler };

function isClock(v: unknown): v is Clock {
  const c = v as Clock;
  return typeof v === 'object' && v !== null && typeof c.nowNs === 'function' && typeof c.setTimer === 'function' && typeof c.clearTimer === 'function';
}

/** Validates system options (clock and scheduler are checked by shape and never frozen). */
export function parseSystemOptions(input: ActorSystemOptions | undefined): ResolvedSystemOptions {
  const { clock, scheduler, ...rest } = input ?? {};
  if (clock !== undefined && !isClock(clock)) {
    throw new ConfigError('actorSystem.clock', `actorSystem.clock: expected a Clock (nowNs, setTimer, clearTimer), got ${describeValue(clock)}`);
  }
  if (scheduler !== undefined && (typeof scheduler !== 'object' || scheduler === null || typeof scheduler.schedule !== 'function')) {
    throw new ConfigError('actorSystem.scheduler', `actorSystem.scheduler: expected a Scheduler (schedule), got ${describeValue(scheduler)}`);
  }
  const c = clock ?? new LiveClock();
  return Object.freeze({ ...parseOptions(systemSchema, rest, 'actorSystem'), clock: c, scheduler: scheduler ?? defaultScheduler(c) });
}

/** Defaults of {@link MailboxOptions}. */
export const MAILBOX_DEFAULTS = Object.freeze({
  capacity: 65_536,
  controlCapacity: 1_024,
  policy: 'reject' as const,
});

/** Defaults of {@link SupervisionOptions}. */
export const SUPERVISION_DEFAULTS = Object.freeze({
  maxRestarts: 3,
  withinMs: 10_000,
  backoffMs: 100,
  maxBackoffMs: 5_000,
  jitter: 0.1,
});

const mailboxSchema = z
  .object({
    capacity: z.number().int().min(1).max(1 << 24).default(MAILBOX_DEFAULTS.capacity),
    controlCapacity: z.number().int().min(1).max(1 << 20).default(MAILBOX_DEFAULTS.controlCapacity),
    policy: z.enum(['reject', 'drop-oldest', 'conflate']).default(MAILBOX_DEFAULTS.policy),
    mustDeliver: z.array(z.string().min(1)).max(64).default([]),
  })
  .strict()
  .superRefine((m, ctx) => {
    // drop-oldest / conflate evict the oldest envelope, which may be one that must be delivered
    if (m.mustDeliver.length > 0 && m.policy !== 'reject') {
      ctx.addIssue({ code: 'custom', path: ['mustDeliver'], message: `expected no types unless policy is 'reject', got ${m.mustDeliver.length} with policy '${m.policy}'` });
    }
  });

const supervisionSchema = z
  .object({
    maxRestarts: z.number().int().min(0).default(SUPERVISION_DEFAULTS.maxRestarts),
    withinMs: z.number().min(1).default(SUPERVISION_DEFAULTS.withinMs),
    backoffMs: z.number().min(0).default(SUPERVISION_DEFAULTS.backoffMs),
    maxBackoffMs: z.number().min(0).default(SUPERVISION_DEFAULTS.maxBackoffMs),
    jitter: z.number().min(0).max(1).default(SUPERVISION_DEFAULTS.jitter),
  })
  .strict();

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: 'expected a function' });

const spawnSchema = z
  .object({
    handle: fn.optional(),
    init: fn.optional(),
    mailbox: mailboxSchema.prefault({}),
    supervision: supervisionSchema.prefault({}),
  })
  .strict();

/** Mailbox options of an actor. */
export interface MailboxOptions {
  /** Data lane capacity (envelopes). Default 65536. */
  capacity?: number;
  /** Control lane capacity; the control lane always rejects when full. Default 1024. */
  controlCapacity?: number;
  /** Data lane overflow policy. Default `'reject'`: nothing is ever dropped unless asked for. */
  policy?: 'reject' | 'drop-oldest' | 'conflate';
  /**
   * Message types this actor must never lose (state it keeps books on, e.g. the risk actor's
   * `order.update` / `order.fill`): a data envelope of one of these types is enqueued even when the
   * data lane is full (the lane grows past `capacity`, counted as `overCapacity`) instead of being
   * refused or evicting another. Sound only when something else bounds how many can arrive (the
   * risk actor: updates are bounded by the orders it let through, and it refuses new ones at
   * capacity). Default none.
   */
  mustDeliver?: readonly string[];
}

/** One-for-one supervision of an actor. */
export interface SupervisionOptions {
  /** Restarts allowed within `withinMs`; one more failure faults the actor. 0: fault on first failure. Default 3. */
  maxRestarts?: number;
  /** Intensity window (clock ms). Default 10000. */
  withinMs?: number;
  /** Backoff before the first restart in a window; doubles per restart. Default 100 ms. */
  backoffMs?: number;
  /** Backoff cap. Default 5000 ms. */
  maxBackoffMs?: number;
  /** Random spread of the backoff, ± this fraction (seeded). Default 0.1. */
  jitter?: number;
}

/** Parsed spawn options (without `input`, which is user data and never frozen). */
export type ResolvedSpawnOptions = Readonly<z.output<typeof spawnSchema>>;

/** Validates spawn options; `where` is the actor address for messages (`spawn(strategy.mm).mailbox.capacity`). */
export function parseSpawnOptions(input: unknown, where: string): ResolvedSpawnOptions {
  return parseOptions(spawnSchema, input, where);
}

/** Defaults of `ask()` options. */
export const ASK_DEFAULTS = Object.freeze({ timeoutMs: 5_000 });

const askSchema = z.object({ timeoutMs: z.number().min(0).max(2_147_483_647).default(ASK_DEFAULTS.timeoutMs) }).strict();

/** Options of `ask()`. */
export interface AskOptions {
  /** Clock ms to wait for the reply before rejecting with `AskTimeoutError`. Default 5000. */
  timeoutMs?: number;
}

/** Validates `ask()` options. */
export function parseAskOptions(input: AskOptions | undefined): Readonly<z.output<typeof askSchema>> {
  return parseOptions(askSchema, input, 'ask');
}
