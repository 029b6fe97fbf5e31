import type { Command } from 'commander';
import { loadStrategy } from '../../actors/strategy/registry.js';
import { formatTable } from '../../daemon/client.js';
import { loadDaemonConfig, simVenueNames, type DaemonConfig } from '../../daemon/config.js';

/**
 * Everything `bot4 daemon` validates before it connects anywhere: the file's syntax, the schema
 * (with secrets from the environment), the gateway options, the risk config and every strategy's
 * params. Throws the first error (`B4_CONFIG_INVALID`, `B4_DAEMON_CONFIG_FILE`, `B4_STRATEGY_*`).
 */
export async function checkConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<DaemonConfig> {
  // the risk config is validated inside loadDaemonConfig: the same function the daemon runs at start
  const cfg = loadDaemonConfig(file, env);
  for (const s of cfg.strategies) await loadStrategy({ id: s.id, kind: s.kind, instruments: [...s.instruments], params: { ...s.params } });
  return cfg;
}

/** Registers `bot4 config check`. */
export function register(program: Command): void {
  const config = program.command('config').description('daemon configuration tools');
  config
    .command('check')
    .description('validate a daemon config file (or the defaults) without starting anything; exit 0 when valid, 2 with the error code otherwise')
    .option('--config <file>', 'YAML or JSON config file (default: the built-in defaults)')
    .action(async (raw: { config?: string }) => {
      const cfg = await checkConfig(raw.config);
      const venues = cfg.venues.length > 0 ? cfg.venues.map((v) => v.name) : simVenueNames(cfg.sim.venues).map((n) => `${n} (embedded simulator)`);
      const rows: [string, unknown][] = [
        ['file', raw.config ?? '(defaults)'],
        ['venues', venues.join(', ')],
        ['symbols', cfg.symbols.join(', ')],
        ['strategies', cfg.strategies.map((s) => `${s.id} (${s.kind})`).join(', ') || '-'],
        ['journal', `${cfg.journal.dir} (fsync ${cfg.journal.fsync})`],
        ['gateway', `${cfg.gatewayOptions.host}:${cfg.gatewayOptions.port}${cfg.gatewayOptions.tls === undefined ? '' : ' (TLS)'}, ${cfg.gatewayOptions.tokens.length} token(s)`],
        ['shutdown', `cancel open orders: ${cfg.shutdown.cancelOpenOrders}, bound ${cfg.shutdown.timeoutMs} ms`],
      ];
      process.stdout.write(`config OK\n${formatTable(['field', 'value'], rows)}\n`);
    });
}
