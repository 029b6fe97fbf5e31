import type { Command } from 'commander';
import { parseOptions, z } from '../../common/validate.js';

/** Defaults of `bot4 chaos run`. */
export const CHAOS_DEFAULTS = Object.freeze({
  speed: 1,
  out: '.bot4/chaos',
});

const schema = z
  .object({
    '--seed': z.number().int().optional(),
    '--speed': z.number().positive().max(100),
    '--out': z.string().min(1),
    '--ci': z.boolean(),
  })
  .strict();

/** Validated options of `bot4 chaos run`. */
export interface ChaosRunOptions {
  seed: number | undefined;
  speed: number;
  out: string;
  ci: boolean;
}

function numeric(s: string | undefined): unknown {
  return s !== undefined && /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s;
}

/** Validates the raw strings commander collected (`ConfigError` naming the flag). */
export function parseChaosOptions(raw: Record<string, string | boolean | undefined>): ChaosRunOptions {
  const o = parseOptions(schema, { '--seed': numeric(raw.seed as string | undefined), '--speed': numeric(raw.speed as string), '--out': raw.out, '--ci': raw.ci === true }, '');
  return { seed: o['--seed'], speed: o['--speed'], out: o['--out'], ci: o['--ci'] };
}

/**
 * `bot4 chaos run <file|name>` runs every given scenario in turn (each into `<out>/<name>`) and
 * exits 0 only if each one passes; `bot4 chaos list` lists the built-ins.
 */
export function register(program: Command): void {
  const chaos = program.command('chaos').description('chaos scenarios: faults injected into the simulator and the engine, then a ledger check and a report');
  chaos
    .command('list')
    .description('list the built-in scenarios')
    .action(async () => {
      const { builtinScenarios, describeScenario } = await import('../../chaos/scenario.js');
      // `bot4 chaos list | head` closes the pipe early: not an error.
      process.stdout.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(0);
        throw e;
      });
      for (const n of builtinScenarios()) process.stdout.write(`${n.padEnd(18)} ${describeScenario(n)}\n`);
    });
  chaos
    .command('summary')
    .description('markdown summary of the runs in a folder (each <dir>/<scenario>/report.json); --bench writes it into BENCHMARKS.md')
    .argument('[dir]', 'the --out folder of the runs', CHAOS_DEFAULTS.out)
    .option('--bench', 'write the summary as the chaos section of BENCHMARKS.md (<!-- bench:chaos -->)')
    .option('--note <text>', 'a paragraph printed under the tables (how and where the runs were made)')
    .action(async (dir: string, raw: { bench?: boolean; note?: string }) => {
      const { readReports, summarizeReports } = await import('../../chaos/summary.js');
      const reports = readReports(dir);
      if (reports.length === 0) {
        process.stderr.write(`no report.json under ${dir}/*/\n`);
        process.exitCode = 2;
        return;
      }
      const md = `${summarizeReports(reports)}${raw.note === undefined ? '' : `\n\n${raw.note}`}\n`;
      if (raw.bench === true) {
        const { writeSection } = await import('../../common/benchmarks-md.js');
        writeSection('chaos', 'Chaos scenarios (`bot4 chaos`)', md);
      } else process.stdout.write(md);
    });
  chaos
    .command('run')
    .description('run scenarios (built-in names or YAML files); "all" runs every built-in')
    .argument('<scenarios...>', 'built-in names, YAML files, or "all"')
    .option('--seed <n>', "override the scenario's seed")
    .option('--speed <x>', 'time compression of the timeline (2 = twice as fast)', String(CHAOS_DEFAULTS.speed))
    .option('--out <dir>', 'output folder (report.json, report.html per scenario)', CHAOS_DEFAULTS.out)
    .option('--ci', "use each scenario's short CI variant (its ci: block)")
    .addHelpText('after', '\nExit status: 0 when every scenario passes every expectation, 1 when one fails, 2 on a usage or scenario error.')
    .action(async (names: string[], raw: Record<string, string | boolean | undefined>) => {
      const o = parseChaosOptions(raw);
      const { builtinScenarios, loadScenario } = await import('../../chaos/scenario.js');
      const { runScenario } = await import('../../chaos/runner.js');
      const { ProgressWriter } = await import('../../chaos/progress.js');
      const path = await import('node:path');
      const list = names.flatMap((n) => (n === 'all' ? builtinScenarios() : [n]));
      // Validate every scenario before running any: a typo in the last one should not cost a run.
      const scenarios = list.map((n) => loadScenario(n, { ci: o.ci }));
      // Created private (0700, parents too) when missing: the default `.bot4/chaos` would otherwise
      // create `.bot4` world-readable, and the daemon refuses to put its admin token there.
      const { mkdirSync } = await import('node:fs');
      mkdirSync(o.out, { recursive: true, mode: 0o700 });
      // On a terminal one line rewritten in place (phase, elapsed, ETA, orders so far); in a log one line per phase.
      const progress = new ProgressWriter(process.stderr);
      let failed = 0;
      const summary: string[] = [];
      for (const s of scenarios) {
        // A scenario with a cluster: block is a failover scenario (daemons on NATS; chaos/failover-runner.ts).
        const run = s.cluster === undefined ? runScenario : (await import('../../chaos/failover-runner.js')).runFailoverScenario;
        const report = await run(s, {
          out: path.join(o.out, s.name),
          speed: o.speed,
          ...(o.seed === undefined ? {} : { seed: o.seed }),
          progress: (line, final, state) => progress.update(line, final, state),
        });
        if (report.verdict !== 'pass') failed++;
        const failedChecks = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.actual} (expected ${c.expected})`);
        summary.push(`${s.name}: ${report.verdict}${failedChecks.length ? ` — ${failedChecks.join('; ')}` : ''} (${path.join(o.out, s.name, 'report.html')})`);
      }
      process.stdout.write(`${summary.join('\n')}\n`);
      process.exitCode = failed === 0 ? 0 : 1;
    });
}
