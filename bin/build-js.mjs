// The compiled build of bot4 and its freshness check (plain JavaScript: it runs before any build).
//
// `node bin/build-js.mjs` (run by `npm ci`/`npm install` through the `postprepare` script, and by
// `npm run build`) bundles the TypeScript entry points into `dist/` with esbuild: one file per
// entry (`dist/cli.js`, `dist/engine-process.js`, `dist/index.js`) plus shared chunks, all in
// `dist/` itself, so every `new URL('..', import.meta.url)` in the sources still names the
// repository root (native addon in `build/`, `dashboard/`, `package.json`). Linked source maps
// point stack traces back at the `.ts` files. Packages stay external (loaded from node_modules).
//
// `dist/build-manifest.json` lists every source file the bundle was made from with its size,
// mtime and SHA-256. {@link checkDist} (run by `bin/bot4.js` before it imports `dist/`) stats those
// files: all sizes and mtimes equal → fresh; a file whose mtime moved is hashed, and only a changed
// hash (or a missing file, a missing output, a changed build script) makes `dist/` stale.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in `bin/`). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the compiled JavaScript goes (git-ignored). */
export const DIST = 'dist';
/** The manifest's name inside `dist/`. */
export const MANIFEST = 'build-manifest.json';
/** Printed (exit 2) by `bin/bot4.js` when `dist/` is stale and may not or cannot be rebuilt. */
export const DIST_STALE = 'B4_DIST_STALE';
/** {@link buildDist} cannot run: esbuild is not installed (a production install without dev dependencies). */
export const DIST_NO_BUILDER = 'B4_DIST_NO_BUILDER';
/** `node bin/build-js.mjs` failed for another reason (esbuild reported errors). */
export const DIST_BUILD_FAILED = 'B4_DIST_BUILD_FAILED';
/** Bumped when the manifest's shape changes: an older manifest is stale. */
const MANIFEST_VERSION = 1;
/** Entry points → output names (`dist/<name>.js`). */
export const ENTRIES = { cli: 'bin/cli.ts', 'engine-process': 'chaos/engine-process.ts', index: 'index.ts' };
/** Files that shape the build without being bundled: a change to them also makes `dist/` stale. */
const BUILD_INPUTS = ['bin/build-js.mjs', 'tsconfig.json', 'package.json'];
/**
 * Packages bundled into dist/ instead of loaded from node_modules: libraries on the daemon's start
 * path whose many modules (zod 4: ~100) or CommonJS loading cost more than their code (measured:
 * the daemon's CPU time to its ready line ~1,020 → ~880 ms with these five bundled; see
 * `npm run bench startup`). Everything else stays external: native addons (uWebSockets.js), pino
 * (worker-thread transports load files by path), ccxt (imported by class, see
 * actors/exchange/binance/client.ts), OpenTelemetry (loaded only when tracing is on), ws, commander.
 */
const BUNDLED_PACKAGES = ['zod', 'xstate', 'yaml', 'hdr-histogram-js', 'prom-client'];

/** Every dependency of the root package except {@link BUNDLED_PACKAGES}, as esbuild `external` patterns. */
function externals(root) {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies }).filter((n) => !BUNDLED_PACKAGES.includes(n));
  return names.flatMap((n) => [n, `${n}/*`]);
}

/**
 * Run-time asset folders read relative to a module's own folder: linked into `dist/` so the
 * bundled module finds them (`chaos/scenario.ts` reads `<its folder>/scenarios`).
 */
const ASSET_LINKS = { scenarios: '../chaos/scenarios' };

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * Is `dist/` (under `root`) built from the sources as they are now? Cheap: one `stat` per source
 * file; a file is read and hashed only when its size or mtime changed since the build.
 * @returns {{ fresh: true } | { fresh: false, reason: string }}
 */
export function checkDist(root = ROOT) {
  const dist = path.join(root, DIST);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(dist, MANIFEST), 'utf8'));
  } catch (e) {
    return { fresh: false, reason: e.code === 'ENOENT' ? 'dist/ was never built' : `${DIST}/${MANIFEST} is unreadable (${e.message})` };
  }
  if (manifest.version !== MANIFEST_VERSION || typeof manifest.inputs !== 'object' || !Array.isArray(manifest.outputs)) {
    return { fresh: false, reason: `${DIST}/${MANIFEST} has an unknown format` };
  }
  for (const out of manifest.outputs) {
    if (!existsSync(path.join(dist, out))) return { fresh: false, reason: `${DIST}/${out} is missing` };
  }
  for (const [rel, rec] of Object.entries(manifest.inputs)) {
    let st;
    try {
      st = statSync(path.join(root, rel));
    } catch {
      return { fresh: false, reason: `${rel} is gone` };
    }
    if (st.size === rec.size && st.mtimeMs === rec.mtimeMs) continue;
    if (st.size !== rec.size || sha256(path.join(root, rel)) !== rec.sha256) return { fresh: false, reason: `${rel} changed since the build` };
  }
  return { fresh: true };
}

/** Writes `data` to `file` atomically (temp file + rename): a concurrent reader never sees half a file. */
function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/**
 * Builds `dist/` from the sources. Concurrent builds (several `bot4` processes finding a stale
 * `dist/` at once) are safe: each writes the same bytes file by file atomically, chunks before the
 * entries that import them, the manifest last. `clean` first removes `dist/` (not safe while
 * another process runs from it: used by `npm run build`/`prepare` only).
 * @returns {Promise<{ inputs: number, outputs: number, ms: number }>}
 */
export async function buildDist({ root = ROOT, clean = false } = {}) {
  const t0 = performance.now();
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    throw Object.assign(new Error(`cannot build ${DIST}/: esbuild is not installed (${e.message.split('\n')[0]}); run \`npm ci\` with dev dependencies`), { code: DIST_NO_BUILDER });
  }
  const dist = path.join(root, DIST);
  if (clean) rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, src]) => [name, path.join(root, src)])),
    outdir: dist,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: externals(root),
    sourcemap: 'linked',
    sourcesContent: false,
    // class and function names survive bundling (errors name themselves with `new.target.name`)
    keepNames: true,
    metafile: true,
    write: false,
    logLevel: 'warning',
    legalComments: 'none',
    // CommonJS packages bundled into ES modules call `require` for Node's built-ins
    banner: { js: "import { createRequire as __bot4CreateRequire } from 'node:module'; const require = __bot4CreateRequire(import.meta.url);" },
  });
  const previous = previousOutputs(dist);
  const outputs = [];
  const files = [...result.outputFiles].sort((a, b) => rank(a.path) - rank(b.path));
  for (const f of files) {
    writeAtomic(f.path, f.contents);
    outputs.push(path.relative(dist, f.path));
  }
  for (const [name, target] of Object.entries(ASSET_LINKS)) {
    const link = path.join(dist, name);
    try {
      lstatSync(link);
    } catch {
      try {
        symlinkSync(target, link, 'dir');
      } catch (e) {
        if (e.code !== 'EEXIST') throw e;
      }
    }
  }
  const inputs = {};
  const names = [...Object.keys(result.metafile.inputs), ...BUILD_INPUTS].sort();
  for (const rel of names) {
    const abs = path.join(root, rel);
    const st = statSync(abs);
    inputs[rel] = { size: st.size, mtimeMs: st.mtimeMs, sha256: sha256(abs) };
  }
  writeAtomic(path.join(dist, MANIFEST), `${JSON.stringify({ version: MANIFEST_VERSION, builtAt: new Date().toISOString(), esbuild: esbuild.version, outputs: outputs.sort(), inputs }, null, 1)}\n`);
  removeOldChunks(dist, new Set([...outputs, ...previous]));
  return { inputs: names.length, outputs: outputs.length, ms: Math.round(performance.now() - t0) };
}

/** The outputs the manifest in `dist` lists (the build this one replaces); none when there is none. */
function previousOutputs(dist) {
  try {
    const m = JSON.parse(readFileSync(path.join(dist, MANIFEST), 'utf8'));
    return Array.isArray(m.outputs) ? m.outputs.filter((x) => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Deletes the chunks of builds older than the one this build replaces: a process started from the
 * previous build may still import its chunks lazily, so those stay one generation; `dist/` does not
 * grow with every rebuild.
 */
function removeOldChunks(dist, keep) {
  for (const name of readdirSync(dist)) {
    if (!name.startsWith('chunk-') || keep.has(name)) continue;
    try {
      unlinkSync(path.join(dist, name));
    } catch (e) {
      if (e.code !== 'ENOENT') throw e; // a concurrent build removed it first
    }
  }
}

/** Write order: source maps and chunks first, entry points last (they import the chunks). */
function rank(file) {
  const base = path.basename(file);
  if (base.endsWith('.map')) return 0;
  if (base.startsWith('chunk-')) return 1;
  return 2;
}

// `node bin/build-js.mjs [--check]`
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const r = checkDist();
    process.stdout.write(r.fresh ? 'dist/ is fresh\n' : `dist/ is stale: ${r.reason}\n`);
    process.exitCode = r.fresh ? 0 : 1;
  } else {
    try {
      const r = await buildDist({ clean: true });
      process.stderr.write(`bot4: built ${DIST}/ (${r.outputs} files from ${r.inputs} sources) in ${r.ms} ms\n`);
    } catch (e) {
      process.stderr.write(`bot4: ${e.code ?? DIST_BUILD_FAILED}: ${e.message}\n`);
      process.exitCode = 1;
    }
  }
}
