// Pre-trade risk: the risk engine, its state, the kill switch and the risk actor (the order gate).
export { RiskEngine, type RiskEngineOptions, type RiskCheckContext, type RiskAction } from './risk-engine.js';
export { RiskState, PF } from './risk-state.js';
export { KillSwitch, TRADING_STATES, KILL_TRIGGERS, STATE_CODE, type TradingState, type KillTrigger, type TradingStateTransition, type KillSwitchOptions } from './kill-switch.js';
export { GcraSet } from './gcra.js';
export { APPROVED, DENIAL_CODES, deny, type RiskDecision, type RiskApproved, type RiskDenial } from './decision.js';
export { RISK_DEFAULTS, MAX_LIMIT_ATOMS, riskConfigSchema, parseRiskConfig, type RiskConfig, type RiskConfigInput } from './config.js';
export type { CounterBlock, BreakerView, CorrelationSource } from './ports.js';
export { RiskConfigError, RiskUnknownKeyError, RiskStateError, RiskOverflowError, RiskSharedStateError, type RiskErrorCode } from './errors.js';
export { RiskActor, riskMachine, type RiskActorStats } from './risk-actor.js';
