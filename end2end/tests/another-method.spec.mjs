// "Try another method" when the phone is gone: email link and email code, read
// from the development mailbox the way a person would.
import { test, expect, enrolledUser, signIn, totp, pageReady } from './helpers.mjs';

async function newestMail(page, email, subject) {
  await page.goto('/dev/mailbox');
  const mail = page.getByRole('article').filter({ hasText: email }).filter({ hasText: subject }).first();
  await expect(mail).toBeVisible();
  return mail;
}

async function enrollAgain(page) {
  await expect(page.getByText('You signed in with your email.')).toBeVisible();
  const secret = (await page.locator('#secret').innerText()).replace(/\s/g, '');
  await pageReady(page);
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(secret));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
  await page.getByRole('checkbox', { name: 'I have saved my recovery codes' }).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'My profile' })).toBeVisible();
  await expect(page.getByText('10 of 10 recovery codes left.')).toBeVisible();
}

test('lost phone: an emailed sign-in link, then a new authenticator', async ({ page, request }) => {
  const { email } = await enrolledUser(request);
  await signIn(page, email);
  await page.getByRole('link', { name: 'Try another method' }).click();
  await pageReady(page);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  // Nothing is sent before the person has read what signing in by email does.
  const confirm = page.getByRole('dialog', { name: 'Email you a sign-in link?' });
  await expect(confirm).toContainText('your current authenticator app and your recovery codes stop working');
  await confirm.getByRole('button', { name: 'Email me a link' }).click();
  await expect(page.getByText('We emailed you a sign-in link.')).toBeVisible();

  const mail = await newestMail(page, email, 'Your Gatehouse sign-in link');
  await mail.getByRole('link', { name: /\/login\/link\?token=/ }).click();
  await expect(page.getByRole('heading', { name: 'Continue sign-in' })).toBeVisible();
  await pageReady(page);
  await page.getByRole('button', { name: 'Continue sign-in' }).click();
  await enrollAgain(page);

  await page.goto('/dev/mailbox');
  await expect(page.getByRole('article').filter({ hasText: email }).filter({ hasText: 'You signed in with your email instead of your authenticator' })).toBeVisible();
});

test('lost phone: an emailed code, with "Send again" counting down', async ({ page, request }) => {
  const { email } = await enrolledUser(request);
  await signIn(page, email);
  await page.getByRole('link', { name: 'Try another method' }).click();
  await pageReady(page);
  await page.getByRole('button', { name: 'Email me a code' }).click();
  const confirm = page.getByRole('dialog', { name: 'Email you a code?' });
  await expect(confirm).toContainText('every other browser and app is signed out');
  await confirm.getByRole('button', { name: 'Email me a code' }).click();
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  await expect(page.getByText(`Signing in as ${email}`)).toBeVisible();
  // "Send again" waits as long as the server does, counting down the seconds.
  const sendAgain = page.getByRole('button', { name: 'Send again' });
  await expect(sendAgain).toBeDisabled();
  const seconds = async () => Number((await page.getByText(/You can ask for a new code in \d+ second/).innerText()).match(/(\d+)/)[1]);
  const first = await seconds();
  expect(first).toBeGreaterThan(20);
  expect(first).toBeLessThanOrEqual(30);
  await expect.poll(seconds).toBeLessThan(first);

  const codePage = page.url();
  const mail = await newestMail(page, email, 'Your Gatehouse sign-in code');
  const code = (await mail.innerText()).match(/Your sign-in code is (\d{6})/)[1];
  await page.goto(codePage);
  await pageReady(page);
  await page.getByLabel('Code', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await enrollAgain(page);
});

test('a verified phone gets a texted code at sign-in', async ({ page, request }) => {
  const { email, secret } = await enrolledUser(request);
  const phone = `+4477009${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
  await signIn(page, email);
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('link', { name: 'My profile' }).click();
  await expect(page.getByText('An authenticator app is safer')).toBeVisible();
  await pageReady(page);
  await page.getByLabel('Phone number', { exact: true }).fill(phone);
  await page.getByRole('button', { name: 'Send verification code' }).click();
  await expect(page.getByText('We texted a verification code to the new number.')).toBeVisible();

  const text = async () => {
    await page.goto('/dev/mailbox');
    const sms = page.getByRole('article').filter({ hasText: phone }).first();
    return (await sms.innerText()).match(/code is (\d{6})|code: (\d{6})/).slice(1).find(Boolean);
  };
  const verification = await text();
  await page.goto('/profile');
  await pageReady(page);
  await page.getByLabel('Verification code', { exact: true }).fill(verification);
  await page.getByRole('button', { name: 'Verify phone' }).click();
  await expect(page.getByText('Your phone number is verified')).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  await signIn(page, email);
  await page.getByRole('link', { name: 'Try another method' }).click();
  await pageReady(page);
  await page.getByRole('button', { name: 'Text me a code' }).click();
  await expect(page.getByRole('heading', { name: 'Check your phone' })).toBeVisible();
  const codePage = page.url();
  const code = await text();
  await page.goto(codePage);
  await pageReady(page);
  await page.getByLabel('Code', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
});
