import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The compiled build's stale check, driven end to end on a throw-away project that has bot4's real
 * `bin/bot4.js` and `bin/build-js.mjs` and three tiny entry points: the start path builds a missing
 * `dist/`, runs a fresh one as it is, rebuilds after a source edit (also of a file the entry only
 * imports), ignores a touch that changed no byte, and refuses (exit 2, B4_DIST_STALE) when it may
 * not or cannot rebuild.
 */
describe('bin/bot4.js: a stale dist/ never runs', function () {
  this.timeout(60_000);
  let dir = '';
  const cli = (): string => path.join(dir, 'bin/cli.ts');
  const dep = (): string => path.join(dir, 'common/word.ts');

  function bot4(env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [path.join(dir, 'bin/bot4.js'), 'a', 'b'], { cwd: dir, encoding: 'utf8', timeout: 30_000, env: { ...process.env, BOT4_LOG_LEVEL: 'info', BOT4_DIST_REBUILD: '', ...env } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  function writeCli(version: string): void {
    writeFileSync(cli(), `import { word } from '../common/word.js';\nexport async function main(argv: string[]): Promise<void> {\n  process.stdout.write(\`${version} \${word()} \${argv.slice(2).join(' ')}\\n\`);\n}\n`);
  }

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bot4-dist-'));
    for (const d of ['bin', 'chaos', 'common']) mkdirSync(path.join(dir, d));
    copyFileSync(path.join(ROOT, 'bin/bot4.js'), path.join(dir, 'bin/bot4.js'));
    copyFileSync(path.join(ROOT, 'bin/build-js.mjs'), path.join(dir, 'bin/build-js.mjs'));
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
    writeFileSync(path.join(dir, 'tsconfig.json'), '{ "compilerOptions": { "target": "ES2022" } }\n');
    // index.ts and the CLI both import common/word.ts: esbuild puts it in a shared chunk
    writeFileSync(path.join(dir, 'index.ts'), "import { word } from './common/word.js';\nexport const x: string = word();\n");
    writeFileSync(path.join(dir, 'chaos/engine-process.ts'), 'export const y: number = 2;\n');
    writeFileSync(dep(), "export function word(): string {\n  return 'alpha';\n}\n");
    writeCli('v1');
    // esbuild is found through node_modules, as in a clone after `npm ci`
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  });

  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('builds a missing dist/ before the first start, then runs it without rebuilding', () => {
    const first = bot4();
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout, 'v1 alpha a b\n');
    assert.match(first.stderr, /dist\/ was stale \(dist\/ was never built\): rebuilt/);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'dist/build-manifest.json'), 'utf8')) as { inputs: Record<string, unknown> };
    assert.deepEqual(Object.keys(manifest.inputs).sort(), ['bin/build-js.mjs', 'bin/cli.ts', 'common/word.ts', 'chaos/engine-process.ts', 'index.ts', 'package.json', 'tsconfig.json'].sort());
    const second = bot4();
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, 'v1 alpha a b\n');
    assert.equal(second.stderr, '');
  });

  it('a touch that changes no byte is not stale (the mtime differs, the hash does not)', () => {
    const later = new Date(Date.now() + 5_000);
    utimesSync(cli(), later, later);
    const r = bot4();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'v1 alpha a b\n');
    assert.equal(r.stderr, '');
  });

  it('an edited entry makes dist/ stale: rebuilt before it runs', () => {
    writeCli('v2');
    const r = bot4();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /bin\/cli\.ts changed since the build/);
    assert.equal(r.stdout, 'v2 alpha a b\n');
  });

  it('an edited module the entry imports makes dist/ stale too', () => {
    writeFileSync(dep(), "export function word(): string {\n  return 'beta';\n}\n");
    const r = bot4();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /common\/word\.ts changed since the build/);
    assert.equal(r.stdout, 'v2 beta a b\n');
  });

  it('a missing output is stale', () => {
    unlinkSync(path.join(dir, 'dist/index.js'));
    const r = bot4();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /dist\/index\.js is missing/);
  });

  it('concurrent starts that all find dist/ stale each rebuild it and all run (atomic writes)', async () => {
    unlinkSync(path.join(dir, 'dist/build-manifest.json'));
    const runs = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
            const p = spawn(process.execPath, [path.join(dir, 'bin/bot4.js'), 'a', 'b'], { cwd: dir, env: { ...process.env, BOT4_LOG_LEVEL: 'info', BOT4_DIST_REBUILD: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
            let stdout = '';
            let stderr = '';
            p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
            p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
            const t = setTimeout(() => {
              p.kill('SIGKILL');
              reject(new Error(`no exit within 30 s: ${stderr}`));
            }, 30_000);
            p.once('exit', (code) => {
              clearTimeout(t);
              resolve({ code, stdout, stderr });
            });
          }),
      ),
    );
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'v2 beta a b\n');
    }
    assert.equal(bot4().stderr, '', 'fresh after the concurrent rebuilds');
  });

  it('a rebuild keeps the chunks of the build it replaces (a process running that build may still load them) and deletes older ones', () => {
    const chunks = (): string[] => readdirSync(path.join(dir, 'dist')).filter((n) => n.startsWith('chunk-') && n.endsWith('.js')).sort();
    const listed = (): string[] => (JSON.parse(readFileSync(path.join(dir, 'dist/build-manifest.json'), 'utf8')) as { outputs: string[] }).outputs.filter((n) => n.startsWith('chunk-') && n.endsWith('.js'));
    const generations: string[][] = [];
    for (const w of ['gamma', 'delta', 'epsilon']) {
      writeFileSync(dep(), `export function word(): string {\n  return '${w}';\n}\n`);
      const r = bot4();
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `v2 ${w} a b\n`);
      generations.push(listed());
    }
    const [g0, g1, g2] = generations as [string[], string[], string[]];
    const gone = g0.filter((n) => !g1.includes(n) && !g2.includes(n));
    assert.ok(gone.length > 0 && g1.some((n) => !g2.includes(n)), `each edit renames the chunk holding word.ts: ${JSON.stringify(generations)}`);
    assert.deepEqual(chunks(), [...new Set([...g1, ...g2])].sort());
    for (const old of gone) assert.ok(!chunks().includes(old), `${old} of two builds ago is deleted`);
  });

  it('BOT4_DIST_REBUILD=0: a stale dist/ is refused with B4_DIST_STALE, nothing of it runs', () => {
    writeCli('v3');
    const r = bot4({ BOT4_DIST_REBUILD: '0' });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /B4_DIST_STALE: dist\/ is stale \(bin\/cli\.ts changed since the build\); run `npm run build`/);
  });

  it('no esbuild (a production install without dev dependencies): refused with B4_DIST_STALE naming the cause', () => {
    unlinkSync(path.join(dir, 'node_modules'));
    const r = bot4();
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /B4_DIST_STALE: dist\/ is stale \(bin\/cli\.ts changed since the build\) and could not be rebuilt: cannot build dist\/: esbuild is not installed/);
  });
});
