/** The engine: venue actors, the risk actor, the journal and strategies wired on one actor system. */
export { Engine, type SubmitAck } from './engine.js';
export { VENUE_BREAKER_DEFAULTS, engineConfigSchema, engineVenueSchema, parseEngineConfig, type EngineConfig, type EngineConfigInput, type EngineVenue, type EngineVenueInput } from './engine-config.js';
