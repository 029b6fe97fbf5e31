import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startDaemon, stopDaemon, type DaemonChild } from '../daemon/harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BOT4 = path.join(ROOT, 'bin/bot4.js');
const RECORD = path.join(ROOT, 'test/integration/cli/fixtures/record-modules.mjs');

function node(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Uses the native layer the way a library user would: correlation kernels, atomic counters, nativeInfo. */
const USE_LIBRARY = (url: string): string =>
  `const m = await import(${JSON.stringify(url)});
   m.correlationMatrix(new Float64Array([1, 2, 3, 2, 4, 6.5]), 2, 3);
   m.AtomicCounters.create(2).add(0, 1);
   if (typeof m.nativeInfo().simd !== 'string') process.exit(3);`;

describe('the compiled build (dist/)', function () {
  this.timeout(120_000);

  before(() => {
    // the start path itself makes dist/ fresh (a clone after `npm ci` has it built already)
    const r = node([BOT4, '--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '0.1.0\n');
  });

  it('bot4 --help runs dist/cli.js and imports commander only: no TypeScript, tsx, engine, ccxt, zod or uWebSockets.js', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bot4-modules-'));
    try {
      const out = path.join(dir, 'modules.txt');
      const r = node(['--import', pathToFileURL(RECORD).href, BOT4, '--help'], { BOT4_MODULES_OUT: out });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Usage: bot4/);
      assert.match(r.stdout, /daemon\s+run the engine/);
      const urls = readFileSync(out, 'utf8').split('\n').filter((u) => u !== '' && !u.startsWith('node:'));
      assert.ok(urls.includes(pathToFileURL(path.join(ROOT, 'dist/cli.js')).href), urls.join('\n'));
      assert.ok(urls.some((u) => u.includes('/node_modules/commander/')), urls.join('\n'));
      const heavy = urls.filter((u) => /\.ts$|\/node_modules\/(tsx|ccxt|xstate|zod|uWebSockets\.js|pino|@opentelemetry)\//.test(u));
      assert.deepEqual(heavy, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('importing the library prints nothing, from dist/ and from the sources', () => {
    const compiled = node(['--input-type=module', '-e', USE_LIBRARY(pathToFileURL(path.join(ROOT, 'dist/index.js')).href)], { BOT4_LOG_LEVEL: 'info' });
    assert.equal(compiled.status, 0, compiled.stderr);
    assert.equal(compiled.stdout, '');
    assert.equal(compiled.stderr, '');
    const source = node(['--import', 'tsx', '--input-type=module', '-e', USE_LIBRARY(pathToFileURL(path.join(ROOT, 'index.ts')).href)], { BOT4_LOG_LEVEL: 'info' });
    assert.equal(source.status, 0, source.stderr);
    assert.equal(source.stdout, '');
    assert.equal(source.stderr, '');
  });

  it("`import … from 'bot4'` (as the docs' examples write it) loads the compiled dist/index.js with plain node", () => {
    const dir = mkdtempSync(path.join(ROOT, '.bot4-import-'));
    try {
      // a script inside the project resolves the package's own name through package.json "exports"
      const script = path.join(dir, 'use.mjs');
      writeFileSync(script, `${USE_LIBRARY('bot4')}\nconst { Engine, Simulator } = await import('bot4');\nprocess.stdout.write(typeof Engine.start + ' ' + typeof Simulator.start + ' ' + import.meta.resolve('bot4'));\n`);
      const r = node([script], { BOT4_LOG_LEVEL: 'info' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `function function ${pathToFileURL(path.join(ROOT, 'dist/index.js')).href}`);
      assert.equal(r.stderr, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stack traces from dist/ name the .ts sources (source maps)', () => {
    const script = `const m = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/index.js')).href)});
      try { m.correlationMatrix(new Float64Array(1), 0, 3); } catch (e) { process.stdout.write(String(e.stack)); }`;
    // the flag (the chaos engine child) and the call bin/bot4.js makes before importing dist/
    for (const args of [['--enable-source-maps', '--input-type=module', '-e', script], ['--input-type=module', '-e', `process.setSourceMapsEnabled(true);\n${script}`]]) {
      const r = node(args);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /B4_CORR|CorrelationInputError/);
      assert.match(r.stdout, /native\/correlation\.ts:\d+:\d+/);
      assert.doesNotMatch(r.stdout, /dist\/(chunk-|index\.js)/);
    }
    assert.match(readFileSync(BOT4, 'utf8'), /^process\.setSourceMapsEnabled\(true\);$/m);
  });

  it('a strategy written in TypeScript loads in the compiled build (tsx registered on demand)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bot4-ts-strategy-'));
    try {
      const file = path.join(dir, 'ping.ts');
      writeFileSync(file, "interface Params { qtyLots?: number }\nconst create = (params: Params): { onTicker(): void } => ({ onTicker(): void {} });\nexport default create;\n");
      const script = `const m = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/index.js')).href)});
        const r = await m.loadStrategy({ id: 'ping', kind: ${JSON.stringify(file)}, instruments: ['sim-a:BTC/USDT'] });
        process.stdout.write(typeof r.strategy.onTicker + ' ' + r.source);`;
      const r = node(['--input-type=module', '-e', script]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `function ${pathToFileURL(file).href}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('bot4 daemon (npm start) from dist/', () => {
    let d: DaemonChild | undefined;
    after(async () => {
      if (d !== undefined) {
        await stopDaemon(d);
        rmSync(d.dir, { recursive: true, force: true });
      }
    });

    it('reaches its ready line and logs which native path is live at start', async () => {
      d = await startDaemon('', { env: { BOT4_LOG_LEVEL: 'info' } });
      assert.match(d.urls.health ?? '', /^http:\/\/127\.0\.0\.1:\d+/);
      assert.match(d.stderr(), /native primitives: (avx2|neon|scalar|ts) \(/);
      assert.doesNotMatch(d.stderr(), /bot4 native:/);
    });

    it('serves the dashboard files (read at run time relative to the module, now in dist/)', async () => {
      assert.ok(d !== undefined);
      const origin = new URL(d.urls.health!).origin;
      const index = await fetch(`${origin}/dashboard/`);
      assert.equal(index.status, 200);
      assert.equal(await index.text(), readFileSync(path.join(ROOT, 'dashboard/index.html'), 'utf8'));
      const uplot = await fetch(`${origin}/dashboard/uplot/uPlot.esm.js`);
      assert.equal(uplot.status, 200);
      assert.ok((await uplot.text()).length > 1000);
    });
  });
});
