/** Binance-compatible exchange simulator: engine, wire (uWebSockets.js), control API, crises. */
export { Simulator, DEMO_API_KEY, DEMO_API_SECRET, DEMO_BALANCES, DEFAULT_RETENTION, type SimulatorOptions, type VenueUrls } from './simulator.js';
export { VenueCore, type VenueOptions, type VenueUser, type VenueStatus } from './venue/venue.js';
export { CrisisRunner, type CrisisStatus } from './faults/crisis-runner.js';
export { SimulatorError, SimulatorListenError, SimulatorUnknownError, SimulatorStateError, SimulatorInstrumentError, SimulatorLedgerError } from './errors.js';
export { Instrument as SimInstrument, InstrumentRegistry, DEFAULT_INSTRUMENTS, parseDecimal, formatAtoms, ASSET_DECIMALS, type InstrumentSpec } from './venue/instruments.js';
export { Accounts, FEE_ACCOUNT, type Balance as SimBalance } from './venue/accounts.js';
export { Ledger, HOUSE_PREFIX, type LedgerSnapshot, type LedgerOrder, type LedgerEntry, type LedgerFill } from './venue/ledger.js';
export { CompactedSums, type LedgerRetention, type LedgerCompacted } from './venue/retention.js';
export { MatchingEngine, REJECT, type PlaceRequest, type EngineResult, type Rejection, type EngineListener, type FeeSchedule, type ExecType } from './venue/matching-engine.js';
export { OrderBook, type DepthDiff } from './venue/order-book.js';
export type { SimOrder, SimFill, Side as SimSide, OrderType as SimOrderType, TimeInForce as SimTimeInForce, OrderStatus as SimOrderStatus } from './venue/order.js';
export { FairValue, REGIMES, type Regime, type Drive } from './venue/fair-value.js';
export { Participants, DEFAULT_PARTICIPANTS, type ParticipantOptions, type Liquidity } from './venue/participants.js';
export { CRISES, CRISIS_NAMES, COVID, LUNA, FTX, crisisStateAt, type CrisisName, type CrisisScript, type Keyframe, type VenueEvent } from './faults/crises.js';
export { PerfectNetwork, type FaultModel, type FaultLink, type LinkDecision, type Outage, type FaultEvent } from './wire/faults.js';
export {
  OUTAGE_MODES,
  LINK_SCOPES,
  SCOPE_SELECTORS,
  PROFILE_NAMES,
  PROFILE_CHOICES,
  NO_PROFILE,
  type OutageMode,
  type LinkScope,
  type ScopeSelector,
  type ProfileName,
  type ProfileChoice,
} from './faults/index.js';
export { BINANCE_LIMITS, HIGH_LIMITS, NO_LIMITS, RATE_LIMIT_PRESETS, RATE_LIMIT_PRESET_NAMES, RateLimiter, type RateLimitOptions, type RateLimitPreset } from './wire/rate-limit.js';
export { uwsInfo, type UwsInfo } from './wire/server.js';
