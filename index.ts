/**
 * bot4's public entry point: every public API named in the issues is exported from here.
 * Each area keeps its own barrel; this file only re-exports them.
 */
export * from './common/index.js';
export * from './native/index.js';
export * from './actors/exchange/circuit-breaker.js';
export * from './actors/runtime/index.js';
export * from './simulators/index.js';
export * from './actors/orders/index.js';
export * from './actors/journal/index.js';
export * from './actors/risk/index.js';
export * from './actors/exchange/index.js';
export * from './actors/strategy/index.js';
export * from './actors/engine/index.js';
export { checkLedger, fetchLedger, userAccount, instrumentsFromSpecs, LedgerCheckInputError, LedgerFetchError, ANOMALY_KINDS, type AnomalyKind, type LedgerAnomaly, type LedgerCheckCounts, type LedgerCheckReport, type EngineView, type VenueLedger, type LedgerCheckOptions } from './chaos/ledger-check/ledger-check.js';
