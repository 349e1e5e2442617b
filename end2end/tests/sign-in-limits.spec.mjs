// What the steps after the password tell a person: whose sign-in it is and the
// way out, how many codes are left to try, the end of a sign-in and a lock —
// before a right code is typed — and a code that was already used.
import { test, expect, enrolledUser, signIn, signOut, totp, wrongCode, pageReady, PASSWORD } from './helpers.mjs';

test('every step after the password names the account; "Not you? Start over" goes back to the password', async ({ page, request }) => {
  const { email } = await enrolledUser(request);
  await signIn(page, email);
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await expect(page.getByText(`Signing in as ${email}`)).toBeVisible();
  await page.getByRole('link', { name: 'Try another method' }).click();
  await expect(page.getByText(`Signing in as ${email}`)).toBeVisible();
  await pageReady(page);
  await page.getByRole('button', { name: 'Not you? Start over' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  // The sign-in that was in progress is gone from this browser.
  await page.goto('/login/mfa');
  await expect(page.getByRole('heading', { name: 'This sign-in has ended' })).toBeVisible();
});

test('a wrong password is cleared and focused', async ({ page, request }) => {
  const { email } = await enrolledUser(request);
  await page.goto('/login');
  await pageReady(page);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(`${PASSWORD}!`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'The email or password is not correct.' })).toBeVisible();
  const password = page.getByLabel('Password', { exact: true });
  await expect(password).toHaveValue('');
  await expect(password).toBeFocused();
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue(email);
});

test('wrong codes count the tries left; the last ends the sign-in, and the lock shows before a code is typed', async ({ page, request }) => {
  const { email, secret } = await enrolledUser(request);
  await signIn(page, email);
  await pageReady(page);
  const code = page.getByLabel('Authentication code', { exact: true });
  for (const left of [4, 3, 2, 1]) {
    await code.fill(wrongCode(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    const tries = left === 1 ? '1 try left' : `${left} tries left`;
    await expect(page.getByText(`${tries} before this sign-in ends.`)).toBeVisible();
    await expect(page.getByRole('alert').filter({ hasText: 'That code is not correct. Check it and try again.' })).toBeVisible();
    // Drawn again empty and focused, ready for the next code.
    await expect(code).toHaveValue('');
    await expect(code).toBeFocused();
  }
  await code.fill(wrongCode(secret));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: 'Too many wrong codes' })).toBeVisible();
  await expect(page.getByText('This sign-in ended after 5 wrong codes.')).toBeVisible();
  await expect(page.getByText(/unlocks by itself in about 5 minutes/)).toBeVisible();
  await expect(page.getByRole('link', { name: 'Locked out?' })).toBeVisible();
  await page.getByRole('button', { name: 'Start over', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  // A new sign-in says so at once: no right code is typed in vain.
  await signIn(page, email);
  await expect(page.getByRole('heading', { name: 'Your codes are locked' })).toBeVisible();
  await expect(page.getByText(`Signing in as ${email}`)).toBeVisible();
  await expect(page.getByText('Can’t wait? Your administrator can unlock it now.')).toBeVisible();
  await expect(page.getByLabel('Authentication code', { exact: true })).toHaveCount(0);
});

test('a code that already signed in is called "already used"', async ({ page, request }) => {
  const user = await enrolledUser(request);
  const next = totp(user.secret, 1);
  await signIn(page, user.email);
  await page.getByLabel('Authentication code', { exact: true }).fill(next);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
  await signOut(page);

  await signIn(page, user.email);
  await pageReady(page);
  await page.getByLabel('Authentication code', { exact: true }).fill(next);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'That code is already used or too old.' })).toBeVisible();
});

test('after a recovery code the home page says it is used up and how many are left', async ({ page, request }) => {
  const user = await enrolledUser(request);
  await signIn(page, user.email);
  await page.getByRole('link', { name: 'Try another method' }).click();
  await page.getByRole('button', { name: 'Use a recovery code' }).click();
  await pageReady(page);
  await page.getByLabel('Recovery code', { exact: true }).fill(user.codes[3]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'You signed in with a recovery code, so it no longer works. 9 recovery codes are left.' })).toBeVisible();
});
