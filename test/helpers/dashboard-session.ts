import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { DatabaseKind } from './databases.js';
import { consoleErrors, launchChromium, screenshot, VIEWPORTS } from './browser.js';
import { startTestServer, type TestServer } from './server.js';

/** The dashboard user the test server creates at its first start. */
export const ADMIN = { email: 'admin@example.com', password: 'correct-horse-battery' };

/** A sandbox server on `kind`, Chromium, and a page logged in as ADMIN (in Nairobi's time zone, so that times
 * shown in the viewer's zone differ from UTC). `errors` collects the console errors after the login. */
export interface DashboardSession {
  t: TestServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  errors: string[];
  /** Opens a path of the dashboard and waits for its heading. */
  open(path: string, heading: string): Promise<void>;
  close(): Promise<void>;
}

export async function startDashboardSession(kind: DatabaseKind): Promise<DashboardSession> {
  const t = await startTestServer(kind, {
    TAIFA_SANDBOX: 'true',
    TAIFA_BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
    TAIFA_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
  });
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop, timezoneId: 'Africa/Nairobi' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${t.url}/login`);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  const errors = consoleErrors(page);
  return {
    t,
    browser,
    context,
    page,
    errors,
    open: async (path, heading) => {
      await page.goto(`${t.url}${path}`);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    },
    close: async () => {
      await browser.close();
      await t.close();
    },
  };
}

// Run in the page (as text: this project's TypeScript has no DOM types).
/** The form controls and buttons without an accessible name (a label, aria-label, or a button's text). */
const UNLABELLED_CONTROLS = `[...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => !(el.getAttribute('aria-label') || el.labels?.length || (el.tagName === 'BUTTON' && el.textContent.trim())))
  .map((el) => el.outerHTML.slice(0, 120))`;
/** The outermost elements that reach past the window's right edge, without those inside a box of their own that
 * scrolls (to say what makes a page too wide). */
const WIDE_ELEMENTS = `[...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !(el.parentElement.getBoundingClientRect().right > window.innerWidth + 1))
  .map((el) => el.outerHTML.slice(0, 100))`;
/** The name of the focused element: its aria-label, its label's text, or its own text. */
const FOCUSED_NAME = `(() => {
  const el = document.activeElement;
  if (!el) return '';
  return (el.getAttribute('aria-label') || el.labels?.[0]?.textContent || el.textContent || el.tagName).trim();
})()`;

/**
 * Checks what every page owes its users at both widths, and photographs it (test/artifacts/<name>-desktop.png,
 * -phone.png): every form control has a label, nothing is wider than the phone's screen, and no console errors.
 * `ready` waits for the page's content after each reload.
 */
export async function checkAndPhotograph(s: DashboardSession, name: string, ready: () => Promise<void>): Promise<void> {
  for (const [width, viewport] of Object.entries(VIEWPORTS)) {
    await s.page.setViewportSize(viewport);
    await s.page.reload();
    await ready();
    const unlabelled = await s.page.evaluate<string[]>(UNLABELLED_CONTROLS);
    expect(unlabelled, `${name} at ${width}: controls without a label`).toEqual([]);
    const overflow = await s.page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    const wide = overflow > 0 ? await s.page.evaluate<string[]>(WIDE_ELEMENTS) : [];
    expect([overflow, wide], `${name} at ${width}: wider than the screen`).toEqual([0, []]);
    await screenshot(s.page, `${name}-${width}`);
  }
  await s.page.setViewportSize(VIEWPORTS.desktop);
  expect(s.errors).toEqual([]);
}

/** Whether every control of the page can be reached with Tab: tabs through and returns the names it reached. */
export async function tabStops(page: Page, count: number): Promise<string[]> {
  const names: string[] = [];
  await page.locator('body').focus();
  for (let i = 0; i < count; i++) {
    await page.keyboard.press('Tab');
    names.push(await page.evaluate<string>(FOCUSED_NAME));
  }
  return names;
}
