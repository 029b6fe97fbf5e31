/**
 * Past one process: remote actors over NATS (`remote-transport.ts`; addresses `node/address`),
 * the lossless wire codec, options and errors. Imports actors/ and common/; actors/ never imports
 * cluster/ (the runtime only knows the `RemotePort` interface of actors/runtime/remote.ts).
 */
export { decode, decodeText, encode, encodeText } from './codec.js';
export { ClusterConnectError, CodecMalformedError, CodecUnsupportedError, RemoteDisconnectedError, RemoteFailedError, RemoteNodeUnknownError, RemoteOutcomeUnknownError, RemotePayloadTooLargeError } from './errors.js';
export { NatsConnectionHandle, type ConnectionState, type NatsConnectionOptions } from './nats-connection.js';
export { REMOTE_DEFAULTS, parseRemoteOptions, type RemoteOptions, type ResolvedRemoteOptions } from './remote-options.js';
export { NatsRemoteTransport } from './remote-transport.js';
