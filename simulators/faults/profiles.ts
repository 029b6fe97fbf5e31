import { ConfigError } from '../../common/errors.js';
import { describeValue } from '../../common/describe.js';
import { parseOptions, z } from '../../common/validate.js';
import { createLatencyBody, DISTRIBUTIONS, type DistributionName, type LatencyBody } from './distributions.js';
import { NetworkInvalidProfileError, NetworkUnknownProfileError } from './errors.js';
import { gilbertElliottFromTarget, type GilbertElliottParams } from './gilbert-elliott.js';

/** Names of the built-in profiles (the Phase 1 review's table). */
export type ProfileName = 'perfect' | 'good' | 'average' | 'poor' | 'outage';

/** Built-in profile names in severity order. */
export const PROFILE_NAMES: readonly ProfileName[] = Object.freeze(['perfect', 'good', 'average', 'poor', 'outage']);

/** The profile name that means no profile: no delay, no loss (the network model's `clearProfile`). */
export const NO_PROFILE = 'none';

/** A profile as every config and control surface names it: `none` or a built-in profile. */
export type ProfileChoice = typeof NO_PROFILE | ProfileName;

/**
 * Every profile name a user may give: `none` first, then {@link PROFILE_NAMES}. The daemon config
 * (`sim.profile`), `bot4 sim --profile`, the simulator's `profile` option, the control API
 * (`POST /_sim/venues/<v>/profile`, which also takes a custom profile object) and chaos scenarios
 * (`venues.profile`, `do: profile`) accept exactly these.
 */
export const PROFILE_CHOICES: readonly ProfileChoice[] = Object.freeze([NO_PROFILE, ...PROFILE_NAMES]);

/** True when `v` is one of {@link PROFILE_CHOICES}. */
export function isProfileChoice(v: unknown): v is ProfileChoice {
  return typeof v === 'string' && (PROFILE_CHOICES as readonly string[]).includes(v);
}

/**
 * Checks a profile as a caller gives it: a name from {@link PROFILE_CHOICES} or an object (a custom
 * profile, validated when it is set). Throws {@link NetworkUnknownProfileError} naming `field`.
 */
export function checkProfileChoice(v: unknown, field = 'profile'): ProfileChoice | ProfileInput {
  if (isProfileChoice(v) || (v !== null && typeof v === 'object' && !Array.isArray(v))) return v as ProfileChoice | ProfileInput;
  throw new NetworkUnknownProfileError(field, `${field}: expected one of ${PROFILE_CHOICES.map((n) => JSON.stringify(n)).join(', ')} or a profile object, got ${describeValue(v)}`);
}

/** Loss models: independent per message (the review's), or Gilbert-Elliott bursts. */
export type LossModel = 'bernoulli' | 'gilbert-elliott';

const ms = z.number().min(0).max(3_600_000);
const probability = z.number().min(0).max(1);

/** Schema of a profile (custom profiles are validated against it; defaults are filled in). */
export const profileSpecSchema = z.strictObject({
  /** Label shown in state() and the event log. */
  name: z.string().min(1).max(64).default('custom'),
  /** Mean of the latency body before truncation (ms). */
  baseMs: ms,
  /** σ of the latency body (ms). */
  jitterMs: ms,
  /** Long-run fraction of messages lost. */
  lossRate: probability,
  /** Extra delay added to a message during a delay burst (ms). */
  burstDelayMs: ms.default(0),
  /** Probability that a message falls in a delay burst (the review's 5%). */
  burstProbability: probability.default(0.05),
  /** Gilbert-Elliott only: mean length of a run of consecutive losses (messages). */
  lossBurstLength: z.number().min(1).max(1e6).default(2),
  /** Gilbert-Elliott only: loss probability in the Good state. */
  lossInGood: probability.default(0),
  /** Gilbert-Elliott only: loss probability in the Bad state. */
  lossInBad: probability.default(1),
  /** lognormal/gamma only: probability mass of the Pareto tail. */
  tailProbability: z.number().min(0).max(0.5).default(0.01),
  /** lognormal/gamma only: Pareto tail index α (σ is infinite for α ≤ 2). */
  tailAlpha: z.number().gt(1).max(100).default(2.5),
});

/** A network profile, all fields filled in. */
export type ProfileSpec = z.output<typeof profileSpecSchema>;

/**
 * A custom profile as a caller writes it: the required figures plus any defaults to override.
 * `from` starts from a built-in profile (`{ from: 'good', lossRate: 0.02 }`).
 */
export type ProfileInput = z.input<typeof profileSpecSchema> | (Partial<z.input<typeof profileSpecSchema>> & { from: ProfileName });

/**
 * The Phase 1 review's profiles (`TARGETS.md`): base latency, jitter (σ), loss, and a burst delay
 * added to 5% of messages. `lossBurstLength` (used only by the Gilbert-Elliott loss model) and the
 * Pareto tail (used only by lognormal/gamma bodies) are bot4's choices, not the review's.
 */
export const PROFILES: Readonly<Record<ProfileName, ProfileSpec>> = deepFreeze({
  perfect: spec('perfect', 1, 0.1, 0, 0, 1),
  good: spec('good', 10, 2, 0.001, 0, 1.5),
  average: spec('average', 50, 10, 0.01, 100, 2),
  poor: spec('poor', 150, 50, 0.05, 500, 3),
  outage: spec('outage', 1000, 500, 0.3, 5000, 5),
});

function spec(name: string, baseMs: number, jitterMs: number, lossRate: number, burstDelayMs: number, lossBurstLength: number): ProfileSpec {
  return {
    name,
    baseMs,
    jitterMs,
    lossRate,
    burstDelayMs,
    burstProbability: burstDelayMs > 0 ? 0.05 : 0,
    lossBurstLength,
    lossInGood: 0,
    lossInBad: 1,
    tailProbability: 0.01,
    tailAlpha: 2.5,
  };
}

/** Options of `setProfile`: the latency family, the AR(1) coefficient and the loss model. */
export const profileOptionsSchema = z.strictObject({
  distribution: z.enum(DISTRIBUTIONS as [DistributionName, ...DistributionName[]]).default('normal'),
  ar1: z.number().gt(-1).lt(1).default(0),
  lossModel: z.enum(['bernoulli', 'gilbert-elliott']).default('bernoulli'),
});

/** Options of `setProfile` with defaults filled in. */
export type ProfileOptions = z.output<typeof profileOptionsSchema>;

/** Options of `setProfile` as a caller writes them. */
export type ProfileOptionsInput = z.input<typeof profileOptionsSchema>;

/** Default options: the review's model (normal body, independent delays, Bernoulli loss). */
export const DEFAULT_PROFILE_OPTIONS: Readonly<ProfileOptions> = Object.freeze({ distribution: 'normal', ar1: 0, lossModel: 'bernoulli' });

/** Exact long-run figures of a compiled profile (what the tests compare samples against). */
export interface ProfileTheory {
  /** Mean delay (ms): body mean + burstProbability·burstDelayMs. */
  readonly meanMs: number;
  /** σ of the delay (ms): √(body variance + p_b(1 − p_b)·burstDelayMs²). */
  readonly sdMs: number;
  /** Mean of the latency body alone (ms), truncation and tail included. */
  readonly bodyMeanMs: number;
  /** σ of the latency body alone (ms). */
  readonly bodySdMs: number;
  /** Long-run loss rate. */
  readonly lossRate: number;
  /** Mean run of consecutive losses: 1/(1 − L) for Bernoulli, the profile's burst length for Gilbert-Elliott. */
  readonly meanLossBurstLength: number;
}

/** A profile with its options validated and its samplers built; immutable and shared by links. */
export interface CompiledProfile {
  readonly spec: ProfileSpec;
  readonly options: ProfileOptions;
  readonly body: LatencyBody;
  readonly burstProbability: number;
  readonly burstDelayMs: number;
  /** Gilbert-Elliott parameters, or null for Bernoulli loss. */
  readonly gilbertElliott: GilbertElliottParams | null;
  readonly lossRate: number;
  readonly theory: ProfileTheory;
}

/**
 * Resolves a built-in name or validates a custom profile. Unknown names throw
 * {@link NetworkUnknownProfileError}; invalid fields throw {@link NetworkInvalidProfileError} whose
 * message names the field, the expectation and the value (`network.profile.lossRate: expected a
 * value <= 1, got 1.5`).
 */
export function resolveProfile(profile: ProfileName | ProfileInput, where = 'network.profile'): ProfileSpec {
  if (typeof profile === 'string') {
    if (Object.prototype.hasOwnProperty.call(PROFILES, profile)) return PROFILES[profile as ProfileName];
    throw new NetworkUnknownProfileError(where, `${where}: expected one of ${PROFILE_NAMES.map((n) => JSON.stringify(n)).join(', ')} or a profile object, got ${describeValue(profile)}`);
  }
  let input: unknown = profile;
  if (profile !== null && typeof profile === 'object' && 'from' in profile) {
    const { from, ...rest } = profile as { from: unknown };
    const base = resolveProfile(from as ProfileName, `${where}.from`);
    input = { ...base, name: `${base.name}*`, ...rest };
  }
  return wrap(() => parseOptions(profileSpecSchema, input, where));
}

/**
 * Validates options and builds the samplers of a profile. Throws {@link NetworkInvalidProfileError}
 * for invalid options or a combination that cannot be built (a lognormal/gamma body with base 0 and
 * jitter > 0; a Gilbert-Elliott target that no transition probabilities reach).
 */
export function compileProfile(spec: ProfileSpec, options: ProfileOptionsInput | undefined, where = 'network'): CompiledProfile {
  const opts = wrap(() => parseOptions(profileOptionsSchema, options, `${where}.options`));
  if (opts.distribution !== 'normal' && spec.jitterMs > 0 && spec.baseMs === 0) {
    throw new NetworkInvalidProfileError(
      `${where}.profile.baseMs`,
      `${where}.profile.baseMs: expected a value > 0 for the ${opts.distribution} distribution when jitterMs > 0, got 0`,
    );
  }
  const body = createLatencyBody(opts.distribution, {
    meanMs: spec.baseMs,
    sdMs: spec.jitterMs,
    tailProbability: spec.tailProbability,
    tailAlpha: spec.tailAlpha,
  });
  let ge: GilbertElliottParams | null = null;
  if (opts.lossModel === 'gilbert-elliott') {
    const lossRate = spec.lossRate;
    ge = wrap(() =>
      gilbertElliottFromTarget(
        { lossRate, meanBurstLength: spec.lossBurstLength, lossInGood: spec.lossInGood, lossInBad: spec.lossInBad },
        `${where}.profile`,
      ),
    );
  }
  const m = body.moments();
  const pb = spec.burstProbability;
  const bd = spec.burstDelayMs;
  const theory: ProfileTheory = Object.freeze({
    meanMs: m.meanMs + pb * bd,
    sdMs: Math.sqrt(m.sdMs * m.sdMs + pb * (1 - pb) * bd * bd),
    bodyMeanMs: m.meanMs,
    bodySdMs: m.sdMs,
    lossRate: spec.lossRate,
    meanLossBurstLength: spec.lossRate === 0 ? 0 : ge === null ? 1 / (1 - spec.lossRate) : spec.lossBurstLength,
  });
  return Object.freeze({
    spec,
    options: opts,
    body,
    burstProbability: pb,
    burstDelayMs: bd,
    gilbertElliott: ge,
    lossRate: spec.lossRate,
    theory,
  });
}

/** Turns a ConfigError from parseOptions into this area's typed error, keeping its message. */
function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError) throw new NetworkInvalidProfileError(e.field, e.message, { cause: e });
    throw e;
  }
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v !== null && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}
