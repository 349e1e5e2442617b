// Sign-in pages work before hydration and without JavaScript at all.
import { test, expect, enrolledUser, signIn, totp, wrongCode } from './helpers.mjs';

test('signs in with a wrong code, then a right one, without JavaScript', async ({ page, request }) => {
  const { email, secret, codes } = await enrolledUser(request);
  await signIn(page, email);
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await page.getByLabel('Authentication code', { exact: true }).fill(wrongCode(secret));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByText('That code is not correct.')).toBeVisible();
  await page.getByRole('link', { name: 'Try another method' }).click();
  await page.getByRole('button', { name: 'Use a recovery code' }).click();
  await page.getByLabel('Recovery code', { exact: true }).fill(codes[3]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByText('You are signed out.')).toBeVisible();
});
