/** The gateway: uWebSockets.js `/ws` API, `/feed` ingest, `/health`, `/metrics`. */
export { GatewayServer, type GatewayAddress, type GatewayStats, type GatewayDeps } from './server.js';
export type * from './engine-port.js';
export { GATEWAY_DEFAULTS, gatewayOptionsSchema, parseGatewayOptions, parseTokenEnv, type GatewayOptions, type GatewayOptionsInput, type TokenConfig } from './options.js';
export { GW_CODES, GW_WARNINGS, type GwCode, type GwErrorBody, GatewayError, GatewayListenError, GatewayStateError, GatewayNativeError, GatewayTlsError, FeedEncodeError } from './errors.js';
export { PROTOCOL_VERSION, OPS, FIXED_TOPICS, isValidTopic, type OpName, type RequestId } from './protocol.js';
export { FEED_VERSION, FeedType, AnnounceKind, HEADER_BYTES, RECORD_BYTES, WireSide, feedEncoder, readI64, writeI64, i64Words } from './feed-codec.js';
export { FeedDecoder, MAX_SYMBOLS_PER_CONNECTION, type FeedSink } from './feed-decoder.js';
export { formatPrometheus, escapeHelp, escapeLabelValue, wantsOpenMetrics, HotHistogram, HistogramSeries, PROMETHEUS_CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE, type ExpositionOptions, type HotHistogramConfig } from './prometheus.js';
export { TokenAuthenticator, hasRole, type Principal } from './auth.js';
export { TokenBucket } from './rate-limiter.js';
export { CloseCode } from './ws-api.js';
export { loadUws, type UwsModule } from './uws.js';
