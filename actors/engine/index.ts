/** The engine: venue actors, the risk actor, the journal and strategies wired on one actor system. */
export { Engine, VENUE_BREAKER_DEFAULTS, engineConfigSchema, type EngineConfig, type EngineConfigInput, type SubmitAck } from './engine.js';
