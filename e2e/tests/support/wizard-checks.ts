/**
 * What every step of the wizard is checked for in the browser: a screenshot kept with the test's
 * output, axe-core finding no serious or critical violation, no horizontal scrolling, and no
 * Content-Security-Policy violation reported by the page.
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Locator, Page, TestInfo } from '@playwright/test';
import { expect } from './fixtures.js';

/** Collects the page's CSP violations (the browser reports each as a console error). */
export function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

/**
 * Checks the step showing now: screenshot `NN-name.png` (attached to the report), axe-core with
 * no serious or critical violation, nothing wider than the window.
 */
export async function checkStep(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious, `axe on ${name}`).toEqual([]);
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  expect(scrollWidth, `horizontal scrolling on ${name}`).toBeLessThanOrEqual(clientWidth);
}

/** Presses Tab until `target` has the focus (at most `maxTabs` times), as a keyboard user would. */
export async function tabTo(page: Page, target: Locator, maxTabs = 15): Promise<void> {
  for (let i = 0; i < maxTabs; i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  await expect(target).toBeFocused();
}

/** Whether the focused element shows a focus ring (an outline that is not `none`). */
export async function focusRingShows(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const el = document.activeElement;
    return el !== null && getComputedStyle(el).outlineStyle !== 'none' && getComputedStyle(el).outlineWidth !== '0px';
  });
}
