// The screens of sign-in and of My profile, in Chromium with JavaScript on.
import { test, expect, createUser, enrolledUser, signIn, totp, wrongCode, pageReady, PASSWORD, codesOnPage, saveCodesAndContinue, enrollOnPage } from './helpers.mjs';
import fs from 'node:fs';

test('a new user enrolls by reading the secret shown on the page, then downloads the codes', async ({ page }) => {
  const email = createUser('owner');
  await signIn(page, email);
  await enrollOnPage(page);
  const codes = await codesOnPage(page);
  expect(codes).toHaveLength(10);
  for (const code of codes) expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);

  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('gatehouse-recovery-codes.txt');
  const text = fs.readFileSync(await download.path(), 'utf8');
  for (const code of codes) expect(text).toContain(code);

  // Continue is refused until the box is ticked.
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
  await saveCodesAndContinue(page);
  await expect(page.getByText('10 of 10 recovery codes left.')).toBeVisible();
  await expect(page.getByText(email).first()).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('signs in with the authenticator app', async ({ page, request }) => {
  const { email, secret } = await enrolledUser(request);
  await signIn(page, email);
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await pageReady(page);
  await page.getByLabel('Authentication code', { exact: true }).fill(wrongCode(secret));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'That code is not correct' })).toBeVisible();
  // The form is drawn again, empty: a code typed before that would be wiped.
  await expect(page.getByLabel('Authentication code', { exact: true })).toHaveValue('');
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
});

test('signs in with a recovery code through "Try another method"', async ({ page, request }) => {
  const { email, codes } = await enrolledUser(request);
  await signIn(page, email);
  await page.getByRole('link', { name: 'Try another method' }).click();
  await page.getByRole('button', { name: 'Use a recovery code' }).click();
  await pageReady(page);
  await page.getByLabel('Recovery code', { exact: true }).fill(codes[0].toLowerCase());
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
  await page.goto('/profile');
  await expect(page.getByText('9 of 10 recovery codes left.')).toBeVisible();
});

test('regenerates recovery codes; the old ones stop working', async ({ page, request }) => {
  const { email, secret, codes: oldCodes } = await enrolledUser(request);
  await signIn(page, email);
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
  await page.getByRole('link', { name: 'My profile' }).click();
  await pageReady(page);
  // A confirmation says what happens; Cancel changes nothing.
  await page.getByRole('button', { name: 'Generate new codes' }).click();
  const dialog = page.getByRole('dialog', { name: 'Generate new recovery codes?' });
  await expect(dialog).toContainText('Your current codes stop working.');
  await expect(dialog.getByRole('button', { name: 'Generate new codes' })).toBeFocused();
  await dialog.getByRole('link', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByText('10 of 10 recovery codes left.')).toBeVisible();
  await page.getByRole('button', { name: 'Generate new codes' }).click();
  await dialog.getByRole('button', { name: 'Generate new codes' }).click();
  await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
  const newCodes = await codesOnPage(page);
  expect(newCodes).toHaveLength(10);
  expect(newCodes.filter((c) => oldCodes.includes(c))).toEqual([]);
  await saveCodesAndContinue(page);

  const login = await (await request.post('/api/v1/auth/login', { data: { email, password: PASSWORD } })).json();
  const old = await request.post('/api/v1/auth/mfa', { data: { mfa_token: login.mfa_token, method: 'recovery_code', code: oldCodes[1] } });
  expect(old.status()).toBe(401);
  const fresh = await request.post('/api/v1/auth/mfa', { data: { mfa_token: login.mfa_token, method: 'recovery_code', code: newCodes[1] } });
  expect(fresh.status()).toBe(200);
});

test('resets MFA from My profile and enrolls again', async ({ page, request }) => {
  const { email, secret } = await enrolledUser(request);
  await signIn(page, email);
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('link', { name: 'My profile' }).click();
  await expect(page.getByRole('heading', { name: 'My profile' })).toBeVisible();
  await pageReady(page);
  await page.getByRole('button', { name: 'Reset My Multi-Factor Authentication' }).click();
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill('not my password');
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'That password is not correct.' })).toBeVisible();
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await expect(page.getByText('Your two-step verification was reset')).toBeVisible();

  await signIn(page, email);
  const newSecret = await enrollOnPage(page);
  expect(newSecret).not.toBe(secret);
  await saveCodesAndContinue(page);
});

test('signs in with the keyboard alone', async ({ page, request }) => {
  const { email, secret } = await enrolledUser(request);
  await page.goto('/login');
  await pageReady(page);
  await expect(page.getByLabel('Email', { exact: true })).toBeFocused();
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Password', { exact: true })).toBeFocused();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await expect(page.getByLabel('Authentication code', { exact: true })).toBeFocused();
  await page.keyboard.type(totp(secret, 1));
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Verify' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
});

test('replaces a device: adds a second authenticator, then removes the first', async ({ page, request }) => {
  const { email, secret } = await enrolledUser(request);
  await signIn(page, email);
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('link', { name: 'My profile' }).click();
  await pageReady(page);
  await page.getByRole('button', { name: 'Add an authenticator app' }).click();
  // Named while it is set up, so the two can be told apart.
  const second = await enrollOnPage(page, { expectCodes: false, name: 'Work phone' });
  await expect(page.getByText('Your new authenticator is ready.')).toBeVisible();
  const rows = page.getByRole('table').getByRole('row');
  await expect(rows).toHaveCount(3);
  await page.getByRole('button', { name: 'Remove Authenticator app', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Remove “Authenticator app”?' });
  // The question opens right under the row it is about.
  await expect(page.locator('tr:has(td:text-is("Authenticator app")) + tr').getByRole('dialog')).toBeVisible();
  await expect(dialog).toContainText('Your other sessions will be signed out');
  await expect(dialog.getByRole('button', { name: 'Remove' })).toBeFocused();
  // Escape closes it, as it would a modal dialog; nothing is removed.
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(rows).toHaveCount(3);
  await page.getByRole('button', { name: 'Remove Authenticator app', exact: true }).click();
  await dialog.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByText('The authenticator was removed.')).toBeVisible();
  await expect(rows).toHaveCount(2);
  await expect(page.getByRole('cell', { name: 'Work phone', exact: true })).toBeVisible();

  // Renamed at its row; the notice names it, and a refusal takes the old notice away.
  await page.getByRole('button', { name: 'Rename Work phone', exact: true }).click();
  const rename = page.getByRole('dialog', { name: 'Rename “Work phone”' });
  await expect(rename.getByLabel('Authenticator name')).toBeFocused();
  await rename.getByLabel('Authenticator name').fill('Pixel 9');
  await rename.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Renamed the authenticator to “Pixel 9”.' })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Pixel 9', exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Rename Pixel 9', exact: true }).click();
  const again = page.getByRole('dialog', { name: 'Rename “Pixel 9”' });
  await again.getByLabel('Authenticator name').fill('   ');
  await again.getByRole('button', { name: 'Rename' }).click();
  await expect(again.getByRole('alert').filter({ hasText: 'Give the authenticator a name.' })).toBeVisible();
  await expect(again.getByLabel('Authenticator name')).toHaveAttribute('aria-invalid', 'true');
  await page.keyboard.press('Escape');
  await expect(again).toHaveCount(0);

  // The owner's role requires MFA: the last authenticator stays, and the dialog says what to do.
  await page.getByRole('button', { name: 'Remove Pixel 9', exact: true }).click();
  const last = page.getByRole('dialog', { name: 'Remove “Pixel 9”?' });
  await expect(last).toContainText('Add another authenticator first, or ask an administrator.');
  await expect(last.getByRole('button', { name: 'Remove' })).toHaveCount(0);
  await expect(last.getByRole('link', { name: 'Close' })).toBeFocused();
  await last.getByRole('link', { name: 'Close' }).click();
  await expect(last).toHaveCount(0);
  await expect(rows).toHaveCount(2);

  // The account now has only the new device, and it signs in.
  const login = await (await request.post('/api/v1/auth/login', { data: { email, password: PASSWORD } })).json();
  const signedIn = await request.post('/api/v1/auth/mfa', { data: { mfa_token: login.mfa_token, method: 'totp', code: totp(second, 1) } });
  expect(signedIn.status()).toBe(200);
  const me = await (await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${(await signedIn.json()).access_token}` } })).json();
  expect(me.mfa.factors.map((f) => f.label)).toEqual(['Pixel 9']);
});

test('no page loads WebAssembly: the script marks a form busy, sends it once and copies the key', async ({ page, request }) => {
  const bundle = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/pkg/') || path.endsWith('.wasm')) bundle.push(path);
  });
  const email = createUser('owner');
  await signIn(page, email);
  await expect(page).toHaveURL(/\/enroll$/);
  await pageReady(page);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByRole('button', { name: 'Copy key' }).click();
  await expect(page.getByText('Copied')).toBeVisible();
  const secret = (await page.locator('#secret').innerText()).replace(/\s/g, '');
  expect((await page.evaluate(() => navigator.clipboard.readText())).replace(/\s/g, '')).toBe(secret);

  // The first press marks the form busy; a second sends nothing. (The
  // page's own listener, after the script's, holds the first post back.)
  await page.evaluate(() => {
    window.__sent = 0;
    window.addEventListener('submit', (event) => {
      if (event.defaultPrevented) return;
      window.__sent += 1;
      event.preventDefault();
    });
  });
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(secret));
  const verify = page.getByRole('button', { name: 'Verify' });
  await verify.click();
  await expect(verify).toHaveAttribute('aria-busy', 'true');
  await expect(verify).toBeDisabled();
  await expect(page.getByText('Working…')).toBeVisible();
  const form = page.locator('form:has(#code)');
  await form.evaluate((f) => f.requestSubmit());
  expect(await page.evaluate(() => window.__sent)).toBe(1);
  await form.evaluate((f) => f.submit());
  await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
  expect(bundle).toEqual([]);

  await saveCodesAndContinue(page);
  await pageReady(page);

  // Nor do the signed-in screens, those with forms included.
  for (const [path, heading] of [['/', /^Welcome/], ['/audit', 'Audit log'], ['/profile', 'My profile'], ['/admin', 'Users'], ['/admin/roles', 'Roles']]) {
    bundle.length = 0;
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
    await pageReady(page);
    expect(bundle, path).toEqual([]);
  }
});
