// Step-up in Chromium with JavaScript on: once a sign-in is older than the
// step-up window, each protected action goes to "Confirm it's you" and comes
// back to the same page with the same dialog open, where it completes.
// This file runs its own server (one per worker) with a 3-second window, on
// the suite's database; the other files keep the default of 5 minutes.
import { spawn } from 'node:child_process';
import path from 'node:path';
import {
  test as base, expect, createOrg, createUser, createUserIn, enrolled, signIn, pageReady, totp,
  enrollOnPage, codesOnPage, saveCodesAndContinue, PASSWORD,
} from './helpers.mjs';
import { serverEnv } from '../playwright.config.mjs';

const WINDOW_SECONDS = 3;
const binary = process.env.GATEHOUSE_BIN ?? path.resolve(import.meta.dirname, '../../target/release/gatehouse');

const test = base.extend({
  stepUpServer: [async ({}, use, workerInfo) => {
    const port = Number(process.env.GATEHOUSE_E2E_PORT ?? '3100') + 100 + workerInfo.workerIndex;
    const address = `127.0.0.1:${port}`;
    const server = spawn(binary, ['serve'], {
      env: { ...process.env, ...serverEnv, LEPTOS_SITE_ADDR: address, GATEHOUSE_STEP_UP_SECONDS: String(WINDOW_SECONDS) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`http://${address}/login`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline || server.exitCode !== null) throw new Error(`the step-up server did not start on ${address}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await use(`http://${address}`);
    server.kill();
  }, { scope: 'worker' }],
  baseURL: async ({ stepUpServer }, use) => use(stepUpServer),
});

/** Signs in with a recovery code, which leaves the authenticator's codes for the step-up. */
async function signInWithRecoveryCode(page, user) {
  await signIn(page, user.email);
  await page.getByRole('link', { name: 'Try another method' }).click();
  await page.getByRole('button', { name: 'Use a recovery code' }).click();
  await pageReady(page);
  await page.getByLabel('Recovery code', { exact: true }).fill(user.codes[0]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
}

/** Lets the sign-in grow older than the step-up window (whole seconds on the server: one more). */
async function windowPasses(page) {
  await page.waitForTimeout((WINDOW_SECONDS + 1.5) * 1000);
}

/** On "Confirm it's you", sent there by `from`: password and the authenticator's code. */
async function confirmIdentity(page, user, from) {
  await expect(page.getByRole('heading', { name: 'Confirm it’s you' })).toBeVisible();
  expect(new URL(page.url()).searchParams.get('next')).toBe(from);
  await expect(page.getByLabel('Password', { exact: true })).toBeFocused();
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(user.secret, 1));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page).toHaveURL((url) => url.pathname + url.search === from);
}

test('Add an authenticator app after the window: confirm, back on My profile, then set it up', async ({ page, request }) => {
  const user = await enrolled(request, createUser('owner'));
  await signInWithRecoveryCode(page, user);
  await page.goto('/profile');
  await pageReady(page);
  await windowPasses(page);
  await page.getByRole('button', { name: 'Add an authenticator app' }).click();
  await confirmIdentity(page, user, '/profile');
  await page.getByRole('button', { name: 'Add an authenticator app' }).click();
  await enrollOnPage(page, { expectCodes: false });
  await expect(page.getByText('Your new authenticator is ready.')).toBeVisible();
});

test('Generate new codes after the window: confirm, back to the open dialog, then new codes', async ({ page, request }) => {
  const user = await enrolled(request, createUser('owner'));
  await signInWithRecoveryCode(page, user);
  await page.goto('/profile');
  await pageReady(page);
  await windowPasses(page);
  await page.getByRole('button', { name: 'Generate new codes' }).click();
  await page.getByRole('dialog', { name: 'Generate new recovery codes?' }).getByRole('button', { name: 'Generate new codes' }).click();
  await confirmIdentity(page, user, '/profile?confirm=regenerate_codes');
  const dialog = page.getByRole('dialog', { name: 'Generate new recovery codes?' });
  await expect(dialog.getByRole('button', { name: 'Generate new codes' })).toBeFocused();
  await dialog.getByRole('button', { name: 'Generate new codes' }).click();
  await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
  expect(await codesOnPage(page)).toHaveLength(10);
  await saveCodesAndContinue(page);
});

/** A company with an owner (signed in) and a member with an authenticator, on /admin. */
async function adminWithMember(page, request) {
  const company = createOrg('company', 'Step-up Co');
  const owner = await enrolled(request, createUserIn(company, 'owner'));
  const member = await enrolled(request, createUserIn(company, 'member'));
  await signInWithRecoveryCode(page, owner);
  await page.goto('/admin');
  await pageReady(page);
  const row = page.getByRole('row').filter({ hasText: member.email });
  await expect(row).toContainText('On · 1 authenticator');
  const memberId = await row.locator('input[name="user"]').first().inputValue();
  return { owner, member, memberId, row };
}

test('Disable MFA after the window: confirm, back to the open dialog, then disabled', async ({ page, request }) => {
  const { owner, member, memberId, row } = await adminWithMember(page, request);
  await windowPasses(page);
  await row.getByRole('button', { name: 'Disable MFA' }).click();
  await page.getByRole('dialog', { name: `Disable MFA for ${member.email}?` }).getByRole('button', { name: 'Disable MFA' }).click();
  await confirmIdentity(page, owner, `/admin?confirm=disable_mfa&user=${memberId}`);
  const dialog = page.getByRole('dialog', { name: `Disable MFA for ${member.email}?` });
  await expect(dialog.getByRole('button', { name: 'Disable MFA' })).toBeFocused();
  await dialog.getByRole('button', { name: 'Disable MFA' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Disabled MFA for ${member.email}.` })).toBeVisible();
  await expect(row).toContainText('Off');
});

test('Change role after the window: confirm, back to the open dialog, then changed', async ({ page, request }) => {
  const { owner, member, memberId, row } = await adminWithMember(page, request);
  await windowPasses(page);
  await row.getByText('More', { exact: true }).click();
  await row.getByRole('button', { name: 'Change role' }).click();
  const dialog = page.getByRole('dialog', { name: `Change the role of ${member.email}` });
  await dialog.getByLabel('New role').selectOption({ label: 'admin' });
  await dialog.getByRole('button', { name: 'Change role' }).click();
  await confirmIdentity(page, owner, `/admin?confirm=change_role&user=${memberId}`);
  await expect(dialog.getByLabel('New role')).toBeFocused();
  await dialog.getByLabel('New role').selectOption({ label: 'admin' });
  await dialog.getByRole('button', { name: 'Change role' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Changed the role of ${member.email}.` })).toBeVisible();
  await expect(row.getByRole('cell', { name: 'admin', exact: true })).toBeVisible();
});

test('Grant after the window: confirm, back to the open grant dialog, then granted', async ({ page, request }) => {
  const partner = createOrg('partner', 'Step-up IT');
  createOrg('company', 'Step-up Customer', partner);
  const msp = await enrolled(request, createUserIn(partner, 'admin'));
  await signInWithRecoveryCode(page, msp);
  await page.goto('/msp/customers');
  await pageReady(page);
  await windowPasses(page);
  const row = page.getByRole('row').filter({ hasText: 'Step-up Customer' });
  await row.getByRole('button', { name: 'Grant MFA reset permission' }).click();
  const dialog = page.getByRole('dialog', { name: 'Grant MFA reset permission to Step-up Customer' });
  await expect(dialog).toBeVisible();
  const customer = new URL(page.url()).searchParams.get('grant');
  expect(customer).toMatch(/^\d+$/);
  await dialog.getByLabel('Reason').fill('Ticket 5150');
  await dialog.getByRole('button', { name: 'Grant' }).click();
  await confirmIdentity(page, msp, `/msp/customers?grant=${customer}`);
  await expect(dialog.getByLabel('Duration')).toBeFocused();
  // Chosen people and 4 hours are offered first; this company has nobody to choose yet.
  await expect(dialog.getByLabel('Duration')).toHaveValue('240');
  await expect(dialog.getByRole('radio', { name: 'Only the people chosen below' })).toBeChecked();
  await dialog.getByLabel('Reason').fill('Ticket 5150');
  await dialog.getByRole('radio', { name: 'Everyone at Step-up Customer' }).check();
  await dialog.getByRole('button', { name: 'Grant' }).click();
  await expect(page.getByText('Step-up Customer may reset MFA until')).toBeVisible();
  await expect(row).toContainText('Ticket 5150');
});

test('confirming with a return path that leaves the site ends on this site', async ({ page, request, baseURL }) => {
  const user = await enrolled(request, createUser('owner'));
  await signInWithRecoveryCode(page, user);
  await page.goto('/confirm-identity?next=/%5Cevil.example');
  await pageReady(page);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(user.secret, 1));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
  expect(new URL(page.url()).origin).toBe(baseURL);
  expect(new URL(page.url()).pathname).toBe('/');
});
