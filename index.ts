/**
 * bot4's public entry point: every public API named in the issues is exported from here.
 * Each area keeps its own barrel; this file only re-exports them.
 */
export * from './common/index.js';
export * from './native/index.js';
export * from './actors/risk/circuit-breaker-index.js';
export * from './actors/runtime/index.js';
export * from './simulators/index.js';
export * from './actors/orders/index.js';
export * from './actors/journal/index.js';
export * from './actors/risk/index.js';
