// The Support page in Chromium: the code a person reads out to the support desk.
import { test, expect, enrolledUser, signInWithCode, pageReady } from './helpers.mjs';

async function shownCode(page) {
  const code = (await page.locator('.support-code output').textContent()).trim();
  expect(code).toMatch(/^\d{8}$/);
  return code;
}

test('the Support page shows a support code and gives a new one on demand', async ({ page, request }) => {
  const user = await enrolledUser(request);
  await signInWithCode(page, user);
  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Support' }).click();
  await expect(page.getByRole('heading', { name: 'Support', exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Your support code' })).toBeVisible();
  await expect(page.getByText('Support never calls or emails you to ask for it')).toBeVisible();
  const first = await shownCode(page);

  // The same code until a new one is asked for.
  await page.reload();
  expect(await shownCode(page)).toBe(first);

  await pageReady(page);
  await page.getByRole('button', { name: 'New code' }).click();
  await expect(page.getByText('Here is your new support code')).toBeVisible();
  await expect(page.locator('.support-code output')).not.toHaveText(first);
  await shownCode(page);
});
