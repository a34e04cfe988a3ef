/**
 * Acceptance: the HTML inventory of a 1,000-key ledger renders in headless Chromium (Debian's
 * `chromium`, driven by playwright-core; .ci/run installs it) with every key id in the page's text,
 * loads nothing but itself, and prints. The ledger is seeded straight through the store
 * (bench/seed.ts) before the service starts. A screenshot of the top of the page and the printed
 * PDF are kept under test-artifacts/ (git-ignored).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { seedKeys } from '../../bench/seed';
import { REPO_ROOT } from '../support/cli';
import { startService, type Service } from '../api/support/service';

const CHROMIUM = '/usr/bin/chromium';
const KEYS = 1000;
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'reports');

describe('the HTML inventory of a 1,000-key ledger, in headless Chromium', () => {
  let svc: Service;
  let keyIds: string[] = [];
  let browser: Browser;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it when missing)`);
    svc = await startService({
      demo: false,
      prefix: 'kl-html-',
      seed: async (dir) => (keyIds = await seedKeys(dir, KEYS)),
    });
    // Never a browser download: the system's Chromium, as .ci/run installs it.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.close();
  });

  it('shows every key id, loads nothing else, and prints', async () => {
    expect(keyIds).toHaveLength(KEYS);
    const context = await browser.newContext({
      extraHTTPHeaders: { authorization: `Bearer ${svc.token}` },
      viewport: { width: 1600, height: 1000 },
    });
    try {
      const page = await context.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      const url = `${svc.url}/v1/reports/inventory?format=html`;
      const started = Date.now();
      const response = await page.goto(url, { waitUntil: 'load' });
      const loadMs = Date.now() - started;
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');

      const text = await page.innerText('body');
      const missing = keyIds.filter((id) => !text.includes(id));
      expect(missing).toEqual([]);
      expect(await page.locator('table.data tbody tr').count()).toBe(KEYS);
      expect(await page.title()).toMatch(/^Key inventory — keyledger, as of position \d+$/);
      expect(text).toMatch(/As of\s+ledger position \d+, the event recorded at /);
      // Self-contained: the document is the only request, nothing failed, no script ran.
      expect(requests).toEqual([url]);
      expect(errors).toEqual([]);

      await page.screenshot({ path: path.join(ARTIFACTS, 'inventory-1000.png') });
      const pdf = await page.pdf({ path: path.join(ARTIFACTS, 'inventory-1000.pdf'), landscape: true });
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
      expect(pages).toBeGreaterThan(1);
      process.stdout.write(
        `  HTML inventory of ${KEYS} keys: ${(await page.content()).length} characters, loaded in ${loadMs} ms, ${pages} printed pages\n`,
      );
    } finally {
      await context.close();
    }
  });
});
