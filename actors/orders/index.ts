export type { OrderIntent, Side, OrderType, TimeInForce } from './intent.js';
export { type Instrument, toUnits, fromUnits, decimals } from './instrument.js';
