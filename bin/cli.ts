import { Command, CommanderError } from 'commander';
import { Bot4Error } from '../common/errors.js';

/** Commander error codes that mean "the command line was wrong": exit 2 like a bad option value. */
const USAGE_ERRORS = new Set(['commander.unknownOption', 'commander.unknownCommand', 'commander.missingArgument', 'commander.optionMissingArgument', 'commander.invalidArgument', 'commander.excessArguments', 'commander.missingMandatoryOptionValue']);

/** What each command module exports: it registers its own subcommand on the program. */
interface CommandModule {
  register(program: Command): void;
}

/**
 * Every subcommand, in help order: its one-line description (shown by `bot4 --help` without
 * loading the module; a test checks it equals the module's own) and its module, imported only when
 * the command line names it. So `bot4 --help` or `bot4 status` never imports the engine, the
 * simulator or ccxt. Each area registers its subcommand from its own module
 * (`bin/commands/<name>.ts` exporting `register(program: Command): void`): one row per command.
 */
export const COMMANDS: Readonly<Record<string, { description: string; load: () => Promise<CommandModule> }>> = {
  sim: { description: 'run the Binance-compatible exchange simulator until SIGINT/SIGTERM', load: () => import('./commands/sim.js') },
  daemon: { description: 'run the engine, its strategies and the gateway until SIGINT/SIGTERM (embedded simulator when no venues are configured)', load: () => import('./commands/daemon.js') },
  status: { description: "show a running daemon's state, kill switch, venues and strategies", load: () => import('./commands/status.js') },
  orders: { description: "list a running daemon's orders (open by default)", load: () => import('./commands/orders.js') },
  order: { description: 'submit and cancel orders on a running daemon (needs a trade token)', load: () => import('./commands/order.js') },
  instruments: { description: 'the instruments a running daemon trades: tick size, lot size, min/max quantity, min notional, last mid', load: () => import('./commands/instruments.js') },
  events: { description: "follow a running daemon's events, one line each, until Ctrl-C (--json: one JSON object per line)", load: () => import('./commands/events.js') },
  strategy: { description: "list, start and stop a running daemon's strategies (start/stop need an admin token)", load: () => import('./commands/strategy.js') },
  positions: { description: "show a running daemon's positions (decimal quantity, cost, PnL at the last mid), balances, and total equity and PnL per quote asset", load: () => import('./commands/positions.js') },
  kill: { description: "set a running daemon's kill switch (needs an admin token); HALTED cancels every open order", load: () => import('./commands/kill.js') },
  venue: { description: "operate a running daemon's venues (needs an admin token)", load: () => import('./commands/venue.js') },
  config: { description: 'daemon configuration tools', load: () => import('./commands/config.js') },
  chaos: { description: 'chaos scenarios: faults injected into the simulator and the engine, then a ledger check and a report', load: () => import('./commands/chaos.js') },
};

/**
 * The `bot4` program with the subcommands in `load` registered from their modules and every other
 * one as a stub carrying only its name and description (enough for `bot4 --help` and for
 * commander's unknown-command suggestions). `load` defaults to every command.
 */
export async function buildProgram(load: Iterable<string> = Object.keys(COMMANDS)): Promise<Command> {
  const wanted = new Set(load);
  const program = new Command('bot4')
    .description('bot4: low-latency actor-model crypto trading engine')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  const names = Object.keys(COMMANDS);
  const modules = await Promise.all(names.map((n) => (wanted.has(n) ? COMMANDS[n]!.load() : undefined)));
  names.forEach((name, i) => {
    const mod = modules[i];
    if (mod !== undefined) mod.register(program);
    else program.command(name).description(COMMANDS[name]!.description);
  });
  return program;
}

/** The subcommands a command line needs loaded: the one it names (`bot4 <cmd> ...`, `bot4 help <cmd>`), or none. */
export function commandsFor(argv: readonly string[]): string[] {
  const args = argv.slice(2);
  const first = args[0] === 'help' ? args[1] : args[0];
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : [];
}

/** Runs the CLI; usage errors and typed bot4 errors exit 2 (bot4 errors print their code), other failures exit 1. */
export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(commandsFor(argv));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = USAGE_ERRORS.has(e.code) ? 2 : e.exitCode;
      return;
    }
    if (e instanceof Bot4Error) {
      process.stderr.write(`bot4: ${e.code}: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}
