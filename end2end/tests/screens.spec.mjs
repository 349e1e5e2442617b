// The main screens on a 390-px phone and a 1280-px screen, light and dark:
// none scrolls sideways (wide tables scroll inside their own area), and each
// is saved for a person to look at, in test-results/screens (or
// GATEHOUSE_E2E_SHOTS).
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, createOrg, createUser, createUserIn, enrolled, signIn, totp, pageReady } from './helpers.mjs';

const shots = process.env.GATEHOUSE_E2E_SHOTS ?? path.join(import.meta.dirname, '../test-results/screens');
const looks = [
  { name: '390-dark', viewport: { width: 390, height: 844 }, colorScheme: 'dark' },
  { name: '1280-light', viewport: { width: 1280, height: 900 }, colorScheme: 'light' },
];

/** Checks that the page does not scroll sideways, and saves it. */
async function look(page, name, look) {
  await pageReady(page);
  const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(sideways, `${name} at ${look.name} scrolls sideways`).toBeLessThanOrEqual(0);
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}-${look.name}.png`), fullPage: true });
}

/** Runs `steps` in a fresh browser of each look. */
async function inEachLook(browser, steps) {
  for (const each of looks) {
    const context = await browser.newContext({ viewport: each.viewport, colorScheme: each.colorScheme });
    await steps(await context.newPage(), each);
    await context.close();
  }
}

test('sign-in and its steps', async ({ browser, request }) => {
  const user = await enrolled(request, createUser('owner'));
  await inEachLook(browser, async (page, each) => {
    await page.goto('/login');
    await look(page, 'login', each);
    await signIn(page, user.email);
    await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
    await look(page, 'code', each);
    await page.goto('/login/other?confirm=email_otp');
    await look(page, 'other-methods', each);
    await signIn(page, createUser('owner'));
    await expect(page.getByRole('heading', { name: 'Set up your authenticator app' })).toBeVisible();
    await look(page, 'enroll', each);
  });
});

test('the signed-in screens of an owner', async ({ browser, request }) => {
  const company = createOrg('company', 'Screens Inc');
  for (const role of ['admin', 'member', 'member']) await enrolled(request, createUserIn(company, role));
  await inEachLook(browser, async (page, each) => {
    // An owner per look: each signs in with its authenticator's next code.
    const owner = await enrolled(request, createUserIn(company, 'owner', 'Oscar Owner'));
    await signIn(page, owner.email);
    await page.getByLabel('Authentication code', { exact: true }).fill(totp(owner.secret, 1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
    for (const [name, url] of [['home', '/'], ['profile', '/profile'], ['users', '/admin'], ['roles', '/admin/roles'], ['audit', '/audit']]) {
      await page.goto(url);
      await look(page, name, each);
    }
  });
});
