import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, or the one TAIFA_CHROMIUM names. */
export const CHROMIUM = process.env.TAIFA_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Whether the browser tests can run here: without Chromium they skip, with a message, except under CI=true, where
 * a missing browser is a failure (.ci/run installs it).
 */
export function chromiumAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  console.warn(`Skipping the dashboard's browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium).`);
  return false;
}

/** Headless Chromium with nothing of its own on the network (no updates, sync or background fetches). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** The two widths every page is checked and photographed at. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

/** Where screenshots go for a person to look at (ignored by git). */
export const ARTIFACTS = path.resolve(import.meta.dirname, '..', 'artifacts');

/** Saves a full-page screenshot as test/artifacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Collects the page's console errors and uncaught exceptions, so that a test can require there were none. */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}
