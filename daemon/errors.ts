import { Bot4Error } from '../common/errors.js';

/**
 * Errors of the daemon and of the CLI commands that talk to it. Codes are stable, never reused and
 * listed in docs/errors.md (`test/unit/daemon/docs.test.ts` checks this folder).
 */

/** A config file could not be read or parsed (YAML/JSON syntax). Validation errors are `B4_CONFIG_INVALID`. */
export class DaemonConfigFileError extends Bot4Error {
  static readonly code = 'B4_DAEMON_CONFIG_FILE';
  constructor(file: string, detail: string, cause?: unknown) {
    super(DaemonConfigFileError.code, `config ${JSON.stringify(file)}: ${detail}`, { file }, { cause });
  }
}

/** Graceful shutdown did not finish within `shutdown.timeoutMs`; the process exits 1. */
export class DaemonShutdownTimeoutError extends Bot4Error {
  static readonly code = 'B4_DAEMON_SHUTDOWN_TIMEOUT';
  constructor(timeoutMs: number, step: string) {
    super(DaemonShutdownTimeoutError.code, `daemon: shutdown did not finish within ${timeoutMs} ms (stuck in: ${step})`, { timeoutMs, step });
  }
}

/** The CLI could not reach the daemon's `/ws` (refused, HTTP error at the upgrade, closed early). */
export class CliConnectError extends Bot4Error {
  static readonly code = 'B4_CLI_CONNECT';
  constructor(url: string, detail: string) {
    super(CliConnectError.code, `cannot reach the daemon at ${url}: ${detail}`, { url });
  }
}

/** The daemon answered a CLI request with a protocol error (`GW_*` code in `details.gatewayCode`). */
export class CliRequestError extends Bot4Error {
  static readonly code = 'B4_CLI_REQUEST';
  readonly gatewayCode: string;
  constructor(op: string, gatewayCode: string, message: string) {
    super(CliRequestError.code, `${op}: ${gatewayCode}: ${message}`, { op, gatewayCode });
    this.gatewayCode = gatewayCode;
  }
}

/**
 * The local admin token file (`auth.tokenFile`) or its folder is not private: a symlink, not
 * owned by this user, or group/others have access. The daemon refuses to start rather than write
 * an admin token where others could read or swap it.
 */
export class TokenFileInsecureError extends Bot4Error {
  static readonly code = 'B4_TOKEN_FILE_INSECURE';
  constructor(file: string, detail: string) {
    super(TokenFileInsecureError.code, `token file ${JSON.stringify(file)}: ${detail}`, { file });
  }
}

/** The local admin token file could not be created or written (permissions, disk). */
export class TokenFileWriteError extends Bot4Error {
  static readonly code = 'B4_TOKEN_FILE_WRITE';
  constructor(file: string, detail: string, cause?: unknown) {
    super(TokenFileWriteError.code, `token file ${JSON.stringify(file)}: ${detail}`, { file }, { cause });
  }
}
