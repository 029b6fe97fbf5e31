import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file the dashboard routes serve, read into memory once. */
export interface DashboardAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * Content-Security-Policy of every dashboard response: scripts, styles and connections only from
 * this server (no inline script or style, no eval, no CDN), nothing may frame the page. `'self'`
 * in `connect-src` covers the same-origin `ws://`/`wss://` `/ws` socket (CSP level 3).
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers sent with every dashboard file besides its content type. */
export const DASHBOARD_HEADERS: readonly (readonly [string, string])[] = Object.freeze([
  ['content-security-policy', DASHBOARD_CSP],
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
  ['cross-origin-opener-policy', 'same-origin'],
  ['cache-control', 'no-cache'],
]);

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The repository's `dashboard/` folder (next to `gateway/`). */
export const DASHBOARD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dashboard');

/** uPlot's `dist/` folder as installed (a dependency: served from disk, no CDN). */
export function uplotDistDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('uplot'));
}

/**
 * The dashboard's files by URL path: `/` and `/dashboard` (index.html), `/dashboard/<file>` for
 * every `.js`/`.css`/`.html` file of `dir`, and `/dashboard/uplot/uPlot.esm.js` +
 * `/dashboard/uplot/uPlot.min.css` from `uplotDir`. Read once, at construction: requests never
 * touch the disk and no path from a request ever reaches the file system (the table is fixed).
 */
export class DashboardAssets {
  private readonly files = new Map<string, DashboardAsset>();
  /** Why the dashboard is unavailable (a file could not be read), or undefined when it is served. */
  readonly problem: string | undefined;

  constructor(dir: string = DASHBOARD_DIR, uplotDir?: string) {
    try {
      for (const name of readdirSync(dir).sort()) {
        const type = TYPES[path.extname(name)];
        if (type === undefined || !/^[a-z0-9][a-z0-9._-]*$/.test(name)) continue;
        this.files.set(`/dashboard/${name}`, { body: readFileSync(path.join(dir, name)), contentType: type });
      }
      const index = this.files.get('/dashboard/index.html');
      if (index === undefined) throw new Error(`no index.html in ${dir}`);
      this.files.set('/', index);
      this.files.set('/dashboard', index);
      this.files.set('/dashboard/', index);
      const up = uplotDir ?? uplotDistDir();
      this.files.set('/dashboard/uplot/uPlot.esm.js', { body: readFileSync(path.join(up, 'uPlot.esm.js')), contentType: TYPES['.js']! });
      this.files.set('/dashboard/uplot/uPlot.min.css', { body: readFileSync(path.join(up, 'uPlot.min.css')), contentType: TYPES['.css']! });
      this.problem = undefined;
    } catch (e) {
      this.files.clear();
      this.problem = e instanceof Error ? e.message : String(e);
    }
  }

  /** The file served at `url` (query already stripped), if any. */
  get(url: string): DashboardAsset | undefined {
    return this.files.get(url);
  }

  /** Every URL path served (tests, docs). */
  get paths(): readonly string[] {
    return [...this.files.keys()];
  }
}
