// Strategy actors (issue 6): the host actor, its machine, built-in strategies and the loader.
export type { Strategy, StrategyContext, StrategyFactory, StrategySpec } from './strategy.js';
export { strategyMachine, type StrategyMachineEvent, type StrategyMode } from './strategy-machine.js';
export {
  spawnStrategy,
  controlStrategy,
  STRATEGY_MAILBOX_DEFAULTS,
  RISK_UNREACHABLE,
  type StrategyDeps,
  type StrategyHandle,
  type StrategyHostStats,
} from './strategy-actor.js';
export { StrategyTimers, type StrategyTimerPayload } from './strategy-timers.js';
export { OrderSlot, OUTCOME_UNKNOWN, type SlotState } from './order-slot.js';
export { PositionTracker } from './position-tracker.js';
export { PairWindow } from './pair-window.js';
export { STRATEGY_ID_PATTERN, INSTRUMENT_KEY_PATTERN, strategySpecSchema, parseStrategySpec, instrumentKey, splitInstrumentKey, resolveInstruments } from './spec.js';
export { MarketMaker, createMarketMaker, marketMakerParamsSchema, MARKET_MAKER_DEFAULTS, type MarketMakerParams } from './market-maker.js';
export { Pairs, createPairs, pairsParamsSchema, PAIRS_DEFAULTS, type PairsParams } from './pairs.js';
export { ConstantRate, createConstantRate, constantRateParamsSchema, CONSTANT_RATE_DEFAULTS, type ConstantRateParams } from './constant-rate.js';
export { BUILTIN_STRATEGIES, loadStrategy, isModulePath, type BuiltinStrategy, type LoadedStrategy, type LoadStrategyOptions } from './registry.js';
export { StrategyUnknownError, StrategyLoadError, StrategyModuleError } from './errors.js';
