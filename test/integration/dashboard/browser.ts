import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** The Chromium the browser tests drive: `BOT4_CHROMIUM`, else Debian's `/usr/bin/chromium`. */
export function chromiumPath(): string {
  const p = process.env.BOT4_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(p)) throw new Error(`dashboard tests: no Chromium at ${p} (install Debian's chromium, or set BOT4_CHROMIUM to a Chromium binary)`);
  return p;
}

/** Launches headless Chromium (no sandbox: CI containers run as root). */
export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-dev-shm-usage'],
    defaultViewport: { width: 1400, height: 1000 },
    timeout: 60_000,
  });
}

/** Console errors, uncaught page errors and failed requests of a page, as text lines. */
export function collectProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}

/** Types a token into the login form and waits until the app shows who is logged in. */
export async function login(page: Page, token: string): Promise<void> {
  await page.waitForSelector('#token', { visible: true, timeout: 10_000 });
  await page.type('#token', token);
  await page.click('#login-form button[type=submit]');
  await page.waitForFunction(`document.getElementById('who').textContent !== ''`, { timeout: 10_000 });
}
