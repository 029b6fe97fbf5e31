/** Venue actors and the exchange adapter template (Binance via ccxt first). */
export type { ExchangeAdapter, FailureKind, StreamSinks, VenueBalance, VenueOrder, VenueOrderStatus, VenueTicker, VenueTrade } from './adapter.js';
export { BinanceAdapter, classify, stepProduct, trimDecimal, type BinanceAdapterOptions } from './binance/binance-adapter.js';
export { VenueCallError, VenueConfigError } from './errors.js';
export * from '../messages.js';
export { VENUE_DENIALS, VenueActor, venueOptionsSchema, type VenueActorDeps, type VenueActorStats, type VenueOptions as VenueActorOptions, type VenueOptionsInput as VenueActorOptionsInput } from './venue-actor.js';
export { connStateOf, venueMachine, type VenueMachineEvent } from './venue-machine.js';
