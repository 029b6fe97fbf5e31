/**
 * Fault injection of the exchange simulator, in one place (the crisis runner, which drives venue
 * cores, is `crisis-runner.ts` beside it). The fault vocabulary every surface shares is defined
 * here once: outage modes (`OUTAGE_MODES`), link scopes (`LINK_SCOPES`, `SCOPE_SELECTORS`),
 * profile names (`PROFILE_NAMES`, `PROFILE_CHOICES`) and crisis names (`CRISIS_NAMES`); the wire
 * layer, the control API, the daemon config, `bot4 sim` and chaos scenarios import them. The
 * network-fault model: seeded per-link latency (normal, lognormal or gamma with a Pareto tail,
 * AR(1)-correlated), delay bursts, Bernoulli or Gilbert-Elliott loss, and outages per venue and scope.
 */
export { CRISES, CRISIS_NAMES, COVID, LUNA, FTX, crisisStateAt } from './crises.js';
export type { CrisisName, CrisisScript, Keyframe, VenueEvent } from './crises.js';
export { NetworkModel } from './network-model.js';
export type { NetworkEvent, NetworkModelOptions, NetworkState, ScopeState } from './network-model.js';
export { NetworkLink, LINK_SCOPES, SCOPE_SELECTORS, linkSeed, parseScopeSelector } from './link.js';
export type { Link, LinkFate, LinkScope, ScopeSelector } from './link.js';
export { OUTAGE_MODES, buildOutage, isOutageMode } from './outages.js';
export type { OutageMode, OutageParams, OutageState, ValidOutageParams } from './outages.js';
export {
  PROFILES,
  PROFILE_NAMES,
  PROFILE_CHOICES,
  NO_PROFILE,
  isProfileChoice,
  checkProfileChoice,
  DEFAULT_PROFILE_OPTIONS,
  profileSpecSchema,
  profileOptionsSchema,
  resolveProfile,
  compileProfile,
} from './profiles.js';
export type { ProfileName, ProfileChoice, ProfileSpec, ProfileInput, ProfileOptions, ProfileOptionsInput, ProfileTheory, CompiledProfile, LossModel } from './profiles.js';
export { DISTRIBUTIONS, createLatencyBody, truncatedNormalMoments, sampleGamma } from './distributions.js';
export type { DistributionName, LatencyBody, LatencyBodyParams, BodyMoments } from './distributions.js';
export { Ar1 } from './ar1.js';
export { GilbertElliott, gilbertElliottFromTarget, gilbertElliottTheory } from './gilbert-elliott.js';
export type { GilbertElliottParams, GilbertElliottTarget, GilbertElliottTheory } from './gilbert-elliott.js';
export { normalCdf, normalQuantile, normalPdf, lnGamma, gammaP, gammaQ, gammaQuantile } from './special-functions.js';
export {
  NetworkUnknownProfileError,
  NetworkInvalidProfileError,
  NetworkInvalidOutageError,
  NetworkInvalidScopeError,
  NetworkInvalidNameError,
} from './errors.js';
