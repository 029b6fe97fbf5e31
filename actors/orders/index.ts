export type { OrderIntent, Side, OrderType, TimeInForce } from './intent.js';
export { type Instrument, toUnits, fromUnits, decimals } from './instrument.js';
export {
  InvalidTransitionError,
  InvalidFillError,
  DuplicateFillError,
  ClientOrderIdError,
  DuplicateOrderError,
  OrderNotFoundError,
  OutcomeUnknownError,
  UnknownInstrumentError,
} from './errors.js';
export {
  type OrderState,
  type OrderEvent,
  type OrderEventKind,
  type FillEvent,
  type ReconcileEvent,
  type ReconcileTarget,
  type Order,
  type OrderHistoryEntry,
  ORDER_STATES,
  ORDER_EVENT_KINDS,
  TERMINAL_STATES,
  OPEN_STATES,
  TRANSITIONS,
  isTerminal,
  createOrder,
  nextState,
  applyOrderEvent,
  avgPriceTicks,
} from './order-state.js';
export {
  CLIENT_ORDER_ID_PATTERN,
  STRATEGY_PREFIX_PATTERN,
  CLIENT_ORDER_ID_MAX,
  STRATEGY_PREFIX_SAFE_MAX,
  EPOCH_BASE_MS,
  chooseEpoch,
  formatClientOrderId,
  parseClientOrderId,
  validateStrategyPrefix,
  type ParsedClientOrderId,
} from './client-order-id.js';
export { OrderStore, orderStoreOptionsSchema, orderToJSON, orderFromJSON, type OrderStoreOptions, type OrderStoreState, type OrderJSON } from './order-store.js';
export { Portfolio, portfolioOptionsSchema, type PortfolioOptions, type Balance, type Position, type PortfolioState } from './portfolio.js';
