import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig } from '../../server/config';
import { connectDatabase } from '../../server/db/connection';
import { createLogger } from '../../server/lib/logger';
import { startServer, type RunningServer } from '../../server/main';
import { testServerUri, testSqliteDir, uniqueDbName } from '../setup/db';

const root = path.resolve(__dirname, '..', '..');

/** Where the browser tests leave their screenshots for review (gitignored). */
export const SCREENSHOTS = path.join(__dirname, 'screenshots');

/** Every demo account's password (README). */
export const DEMO_PASSWORD = 'Kehou@2026';

/** A phone the size of the ones parents and teachers use (the WeCom in-app browser). */
export const PHONE = { width: 375, height: 812 };
/** A desktop for the modeler, the form editor and the dashboard. */
export const DESKTOP = { width: 1366, height: 900 };

/** An axe-core finding. */
export interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  nodes: { target: string[]; html: string }[];
}

/**
 * The whole product as `npm start` runs it, in-process on this test file's own database:
 * development mode (so the demo data of the README is seeded), the in-process job workers,
 * the browser app built into web/dist and served at `/`, and a headless Debian Chromium.
 */
export interface WebHarness {
  url: string;
  server: RunningServer;
  browser: Browser;
  /** A fresh browser (own cookies) with one page, zh-CN, at `viewport`. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /** Signs in through the sign-in page with a phone or a username. */
  signIn(page: Page, account: string, password?: string): Promise<void>;
  /** Saves a full-page screenshot as test/web/screenshots/<name>.png. */
  shot(page: Page, name: string): Promise<void>;
  /** Runs axe-core on the page; returns the serious and critical violations. */
  seriousViolations(page: Page, exclude?: string[]): Promise<AxeViolation[]>;
  close(): Promise<void>;
}

/** Builds the app if needed and starts the server and Chromium. */
export async function startWebHarness(): Promise<WebHarness> {
  execFileSync(process.execPath, [path.join(root, 'web', 'ensure-build.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  const base = new URL(testServerUri());
  base.pathname = `/${uniqueDbName()}`;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    MONGODB_URI: base.toString(),
    NODE_ENV: 'development',
    LOG_LEVEL: 'silent',
    SESSION_SECRET: 'web-test-secret-web-test-secret-0123456789',
    KEHOU_WORKERS: 'in-process',
    ...(testSqliteDir() ? { FERRETDB_SQLITE_DIR: testSqliteDir() } : {}),
  });
  const server = await startServer(config, createLogger('silent'));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  const contexts: BrowserContext[] = [];
  const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  fs.mkdirSync(SCREENSHOTS, { recursive: true });

  return {
    url: server.url,
    server,
    browser,
    async newPage(viewport = PHONE) {
      const context = await browser.newContext({
        viewport,
        locale: 'zh-CN',
        timezoneId: 'Asia/Shanghai',
        baseURL: server.url,
      });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
      return page;
    },
    async signIn(page, account, password = DEMO_PASSWORD) {
      await page.goto('/signin');
      if (!/^1\d{10}$/.test(account)) await page.getByRole('tab', { name: '用户名登录' }).click();
      await page.locator('#signin-id').fill(account);
      await page.locator('#signin-password').fill(password);
      await page.getByRole('button', { name: '登录' }).click();
      await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
      await page.getByRole('heading', { level: 1 }).waitFor();
    },
    async shot(page, name) {
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
    async seriousViolations(page, exclude = []) {
      // evaluated through the DevTools protocol, which the app's CSP (script-src 'self') allows
      await page.evaluate(axeSource);
      const result = (await page.evaluate(
        `axe.run({ exclude: ${JSON.stringify(exclude.map((s) => [s]))} }, { resultTypes: ['violations'] })`,
      )) as { violations: AxeViolation[] };
      return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await server.stop();
      const db = await connectDatabase(base.toString(), { sqliteDir: testSqliteDir() });
      await db.connection.dropDatabase().catch(() => undefined);
      await db.close();
    },
  };
}

/** A readable summary of axe violations for a failing expectation. */
export function describeViolations(violations: AxeViolation[]): string[] {
  return violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}
