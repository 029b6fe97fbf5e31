import type { Command } from 'commander';
import { ConfigError } from '../../common/errors.js';
import { LiveClock } from '../../common/clock.js';
import { logger } from '../../common/log.js';
import { parseDaemonConfig, readConfigFile, type DaemonConfig } from '../../daemon/config.js';
import { watchParent } from '../../daemon/parent-watch.js';

/** Why the daemon stops: a signal, or the process that started it went away. */
type StopReason = NodeJS.Signals | 'parent-gone';

/**
 * Resolves with the first of SIGINT/SIGTERM or, unless `parentWatch` is false, SIGHUP (terminal
 * closed) or the parent process going away ({@link watchParent}). Later signals are logged and
 * ignored while the shutdown runs (it has its own bound, `shutdown.timeoutMs`): Ctrl-C under
 * `npm start` delivers SIGINT twice, once from the terminal and once forwarded by npm, and the
 * second must not kill the daemon halfway through closing its journal. With `parentWatch` false
 * SIGHUP keeps its inherited disposition (`nohup` ignores it).
 */
function nextStop(parentWatch: boolean): Promise<StopReason> {
  const signals: NodeJS.Signals[] = parentWatch ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM'];
  const log = logger.child({ component: 'daemon' });
  return new Promise((resolve) => {
    let unwatch = (): void => undefined;
    let stopping = false;
    const done = (s: StopReason): void => {
      if (stopping) {
        log.warn({ signal: s }, 'already stopping: ignored (the shutdown is bounded by shutdown.timeoutMs)');
        return;
      }
      stopping = true;
      unwatch();
      resolve(s);
    };
    for (const s of signals) process.on(s, done);
    if (parentWatch) {
      unwatch = watchParent(new LiveClock(), (previous, current) => {
        log.warn({ previous, current }, 'the process that started the daemon is gone: stopping');
        done('parent-gone');
      });
    }
  });
}

/**
 * The config `bot4 daemon` runs: the file (or the defaults), then the command-line overrides
 * (`--host`, `--port`, `--journal`, `--repair-journal`, `--trace`), validated once. Throws `ConfigError` naming the field or flag.
 */
export function daemonConfigFromCli(raw: Record<string, string | undefined>, env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const file = raw.config === undefined ? {} : readConfigFile(raw.config);
  if (file !== null && (typeof file !== 'object' || Array.isArray(file))) return parseDaemonConfig(file, env);
  const cfg = { ...((file ?? {}) as Record<string, unknown>) };
  const gateway = { ...((cfg.gateway ?? {}) as Record<string, unknown>) };
  if (raw.host !== undefined) gateway.host = raw.host;
  if (raw.port !== undefined) {
    if (!/^\d{1,5}$/.test(raw.port) || Number(raw.port) > 65535) throw new ConfigError('--port', `--port: expected an integer 0-65535, got ${JSON.stringify(raw.port)}`);
    gateway.port = Number(raw.port);
  }
  if (raw.host !== undefined || raw.port !== undefined) cfg.gateway = gateway;
  if (raw.journal !== undefined) cfg.journal = { ...((cfg.journal ?? {}) as Record<string, unknown>), dir: raw.journal };
  if (raw.repairJournal !== undefined) cfg.journal = { ...((cfg.journal ?? {}) as Record<string, unknown>), repair: true };
  if (raw.trace !== undefined) cfg.tracing = { ...((cfg.tracing ?? {}) as Record<string, unknown>), enabled: true };
  return parseDaemonConfig(cfg, env);
}

/**
 * Starts the daemon, prints the ready line, runs until SIGINT/SIGTERM or until the process that
 * started it goes away (unless `opts.parentWatch` is false), shuts down (exit 0, or 1 when shutdown
 * overran its bound).
 */
export async function runDaemon(cfg: DaemonConfig, out: NodeJS.WritableStream = process.stdout, opts: { parentWatch?: boolean } = {}): Promise<void> {
  const stop = nextStop(opts.parentWatch ?? true);
  const log = logger.child({ component: 'daemon' });
  // A rejected promise nobody awaited is an engine bug, but crashing would leave orders open at the
  // venues with nobody watching them: log it loudly and keep serving (the journal stays consistent,
  // each record is validated before it is written).
  let unhandled = 0;
  process.on('unhandledRejection', (err) => {
    unhandled++;
    log.error({ err, unhandled }, 'unhandled promise rejection (engine bug): kept running');
  });
  const { Daemon } = await import('../../daemon/daemon.js');
  const daemon = await Daemon.start(cfg);
  out.write(`${daemon.readyLine()}\n`);
  const reason = await stop;
  log.info({ reason }, 'stopping');
  let code = 0;
  try {
    await daemon.stop();
  } catch (err) {
    log.error({ err }, 'shutdown failed');
    code = 1;
  }
  // ccxt's keep-alive agents and the like may hold the loop open: the shutdown above is complete
  // (journal closed, sockets closed), so leave now rather than wait for them to time out
  out.write('', () => process.exit(code));
}

/** Registers `bot4 daemon` on the program. */
export function register(program: Command): void {
  program
    .command('daemon')
    .description('run the engine, its strategies and the gateway until SIGINT/SIGTERM (embedded simulator when no venues are configured)')
    .option('--config <file>', 'YAML (.yaml/.yml) or JSON (.json) config file; default: the built-in defaults (docs/config.md)')
    .option('--host <host>', 'gateway bind address (overrides gateway.host; default 127.0.0.1)')
    .option('--port <port>', 'gateway port, 0 picks a free one (overrides gateway.port; default 8080)')
    .option('--journal <dir>', 'journal directory (overrides journal.dir; default .bot4/journal)')
    .option('--repair-journal', 'start even if the journal is corrupt in the middle: move the damaged part aside to *.corrupt files (sets journal.repair; see docs/journal.md)')
    .option('--trace', 'export traces (OTLP/HTTP protobuf, default http://127.0.0.1:4318: Jaeger) as service bot4, the embedded simulator as bot4-sim (sets tracing.enabled; OTEL_* variables apply; see docs/tracing.md)')
    .option('--no-parent-watch', 'keep running when the process that started the daemon exits (default: stop gracefully, as on SIGTERM; use under nohup)')
    .addHelpText('after', '\nPrints one line "bot4 daemon ready api=ws://... feed=... health=... metrics=... ..." once serving; logs are pino JSON on stderr.\nSecrets come from the environment: BOT4_GATEWAY_TOKENS, BOT4_VENUE_<NAME>_API_KEY / _API_SECRET.\nTracing: --trace, the tracing: section, or OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER(_ARG), OTEL_RESOURCE_ATTRIBUTES, OTEL_SDK_DISABLED (docs/tracing.md).')
    .action(async (raw: Record<string, string | undefined> & { parentWatch?: boolean }) => {
      const { parentWatch, ...rest } = raw;
      await runDaemon(daemonConfigFromCli(rest as Record<string, string | undefined>), process.stdout, { parentWatch: parentWatch !== false });
    });
}
