#!/usr/bin/env node
// Entry of `npx bot4` and `npm start`: runs the compiled build in dist/ (made by `npm ci` through
// bin/build-js.mjs), never the TypeScript sources. A stale dist/ never runs: its manifest is
// checked against the sources first (one stat per source file) and dist/ is rebuilt when any
// differs, or the start is refused when it cannot be rebuilt (BOT4_DIST_REBUILD=0, or no esbuild).
// Source maps are on, so stack traces name the .ts files.
import { buildDist, checkDist, DIST_STALE } from './build-js.mjs';

const state = checkDist();
if (!state.fresh) {
  if (process.env.BOT4_DIST_REBUILD === '0') {
    process.stderr.write(`bot4: ${DIST_STALE}: dist/ is stale (${state.reason}); run \`npm run build\` (BOT4_DIST_REBUILD=0 forbids rebuilding at start)\n`);
    process.exit(2);
  }
  try {
    const r = await buildDist();
    if (process.env.BOT4_LOG_LEVEL !== 'silent') process.stderr.write(`bot4: dist/ was stale (${state.reason}): rebuilt in ${r.ms} ms\n`);
  } catch (e) {
    process.stderr.write(`bot4: ${DIST_STALE}: dist/ is stale (${state.reason}) and could not be rebuilt: ${e.message}\n`);
    process.exit(2);
  }
}
process.setSourceMapsEnabled(true);
const { main } = await import('../dist/cli.js');
await main(process.argv);
