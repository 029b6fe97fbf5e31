/**
 * The V8 flags the daemon is meant to run with (issue 16: RSS ≤ 150 MB at the default workload).
 * `npm start` passes them (package.json `scripts.start`, checked by test/unit/daemon/node-flags.test.ts),
 * the chaos runner's engine process gets them, and bench/memory.bench.ts and
 * bench/daemon-rss.bench.ts measure the daemon with them. `npx bot4 daemon` (the shebang) runs
 * with Node's defaults: pass them with `node <flags> bin/bot4.js daemon` or NODE_OPTIONS.
 *
 * `--max-semi-space-size=2` (MB): V8's young generation defaults to semi-spaces of up to 16 MB
 * on 64-bit, ~27 MB of the daemon's RSS once they have grown; the daemon's garbage per turn is
 * small, so 2 MB semi-spaces cost more frequent, shorter scavenges (BENCHMARKS.md, "Daemon memory").
 */
export const DAEMON_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=2']);
