// axe-core on every page, in light and in dark, as each kind of person sees
// it: no violation of any rule axe runs by default (WCAG 2.x A and AA, and
// its best practices). A failure lists the rule and the elements.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import {
  test, expect, createOrg, createUser, createUserIn, enrolled, enrolledUser, signIn, signInWithCode, pageReady,
} from './helpers.mjs';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The page as it is now, checked in light and in dark. */
async function expectAccessible(page, what) {
  await pageReady(page);
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    // Evaluated through the DevTools protocol, so the page's CSP does not apply.
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document);
      return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', ')}`);
    });
    expect(violations, `${what} in ${colorScheme}`).toEqual([]);
  }
}

async function visit(page, path) {
  await page.goto(path);
  await expectAccessible(page, path);
}

test('the pages before sign-in', async ({ page }) => {
  for (const path of ['/login', '/password/forgot', '/locked-out', '/password/reset?token=x', '/not-me?token=x',
    '/invite?token=x', '/login/link?token=x']) {
    await visit(page, path);
  }
});

test('the steps of a sign-in: code, other methods and their confirmation, recovery code, the end of a sign-in', async ({ page, request }) => {
  const { email } = await enrolledUser(request);
  await signIn(page, email);
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await expectAccessible(page, '/login/mfa');
  for (const path of ['/login/other', '/login/other?confirm=email_otp', '/login/recovery']) await visit(page, path);
  await page.goto('/login/other?confirm=email_otp');
  await pageReady(page);
  await page.getByRole('dialog').getByRole('button', { name: 'Email me a code' }).click();
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  await expectAccessible(page, '/login/code');
  await page.getByRole('button', { name: 'Not you? Start over' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await visit(page, '/login/mfa');
});

test('setting up an authenticator and saving the recovery codes', async ({ page }) => {
  await signIn(page, createUser('owner'));
  await expect(page.getByRole('heading', { name: 'Set up your authenticator app' })).toBeVisible();
  await expectAccessible(page, '/enroll');
});

test('the pages of a company owner', async ({ page, request }) => {
  const owner = await enrolledUser(request);
  await signInWithCode(page, owner);
  for (const path of ['/', '/profile', '/account', '/admin', '/admin?confirm=disable_mfa', '/admin/roles', '/admin/contacts',
    '/admin/support', '/audit', '/support']) {
    await visit(page, path);
  }
});

test('the pages of a partner and of the support desk', async ({ page, request }) => {
  const partner = createOrg('partner', 'Axe IT');
  createOrg('company', 'Axe Customer', partner);
  const msp = await enrolled(request, createUserIn(partner, 'owner'));
  await signInWithCode(page, msp);
  await visit(page, '/msp/customers');
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();

  const agent = await enrolled(request, createUserIn('platform', 'support'));
  await signInWithCode(page, agent);
  for (const path of ['/support/requests', '/support/requests/new']) await visit(page, path);
});
