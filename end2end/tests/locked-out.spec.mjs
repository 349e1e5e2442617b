// Locked out, in Chromium: "Forgot password?" and Change password (neither
// skips the second factor), "This wasn't me" after an administrator's Disable
// MFA, the only owner's "Locked out?" through the support desk to a new
// authenticator (on a server of its own, with no cooling-off), and the
// single-administrator warning.
import fs from 'node:fs';
import path from 'node:path';
import {
  test, expect, createOrg, createUserIn, enrolled, signInWithCode, signInWithRecoveryCode, signOut,
  pageReady, enrollOnPage, codesOnPage, saveCodesAndContinue, mailTo, totp, startServer, PASSWORD,
} from './helpers.mjs';

const NEW_PASSWORD = 'violet kettles hum at dawn';
const WRONG_PASSWORD = 'The email or password is not correct.';

/** The sign-in form with `password` (not necessarily the one the CLI set). */
async function signInWith(page, email, password) {
  await page.goto('/login');
  await pageReady(page);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The href of the newest mail to `to` with `subject` whose link matches `pattern`. */
async function mailedLink(page, to, subject, pattern) {
  // These mails are written just after the answer (so that a known and an
  // unknown address answer alike and as fast): look again until it is there.
  const link = mailTo(page, to, subject).getByRole('link', { name: pattern });
  await expect(async () => {
    await page.goto('/dev/mailbox');
    await expect(link).toHaveCount(1, { timeout: 500 });
  }).toPass({ timeout: 10000 });
  return link.getAttribute('href');
}

test('"Forgot password?" mails a one-time link; the new password works, the old one does not, and the code is still asked', async ({ page, request }) => {
  const user = await enrolled(request, createUserIn(createOrg('company', 'Forgetful Farms'), 'owner'));

  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page).toHaveURL(/\/password\/forgot$/);
  await expect(page.getByRole('heading', { name: 'Forgot your password?' })).toBeVisible();
  await pageReady(page);
  await expect(page.getByLabel('Email', { exact: true })).toBeFocused();
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page).toHaveURL(/\/login\?notice=password_link_sent$/);
  await expect(page.getByRole('status').filter({ hasText: 'If this address belongs to an account, we have emailed it a link to choose a new password.' })).toBeVisible();

  const link = await mailedLink(page, user.email, 'Reset your Gatehouse password', /\/password\/reset\?token=/);
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue(user.email);
  await pageReady(page);
  await expect(page.getByLabel('New password', { exact: true })).toBeFocused();
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  // The account has an authenticator: the mailbox alone is not enough. A
  // recovery code keeps the authenticator's next code for the sign-in below.
  await page.getByLabel('Authentication code', { exact: true }).fill('000000');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'That code is not correct.' })).toBeVisible();
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('Authentication code', { exact: true }).fill(user.codes[0]);
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Your new password is set' })).toBeVisible();

  // The link works once.
  await page.goto(link);
  await expect(page.getByRole('alert').filter({ hasText: 'This link has expired or was already used. Nothing was changed.' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Set password' })).toHaveCount(0);

  // The old password is refused; the new one still asks for the authenticator.
  await signInWith(page, user.email, PASSWORD);
  await expect(page.getByRole('alert').filter({ hasText: WRONG_PASSWORD })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toHaveCount(0);
  await signInWith(page, user.email, NEW_PASSWORD);
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(user.secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
});

test('Change password on My profile; the next sign-in takes the new password and still a code', async ({ page, request }) => {
  const user = await enrolled(request, createUserIn(createOrg('company', 'Changing Chairs'), 'owner'));
  // A recovery code now, so that the authenticator's next code is left for the second sign-in.
  await signInWithRecoveryCode(page, user);
  await page.getByRole('link', { name: 'My profile' }).click();
  await expect(page.getByRole('heading', { name: 'My profile' })).toBeVisible();
  await pageReady(page);
  await page.getByLabel('Current password').fill('not my password');
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'That password is not correct.' })).toBeVisible();
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  // Just signed in: no "Confirm it's you" on the way.
  await expect(page.getByRole('status').filter({ hasText: 'Your password was changed. Every other browser and app was signed out.' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'My profile' })).toBeVisible();
  await signOut(page);

  await signInWith(page, user.email, PASSWORD);
  await expect(page.getByRole('alert').filter({ hasText: WRONG_PASSWORD })).toBeVisible();
  await signInWith(page, user.email, NEW_PASSWORD);
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(user.secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
});

test('"This wasn\'t me" after an owner disabled a member\'s MFA locks the account and puts it first on Users', async ({ page, request }) => {
  const company = createOrg('company', 'Harbor Hats');
  const owner = await enrolled(request, createUserIn(company, 'owner', 'Hana Owner'));
  const member = await enrolled(request, createUserIn(company, 'member', 'Nora Notme'));
  // Someone else at the company, to show the reported one comes first.
  await enrolled(request, createUserIn(company, 'member', 'Abe Aardvark'));

  await signInWithCode(page, owner);
  await page.getByRole('link', { name: 'Administration' }).click();
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await pageReady(page);
  const row = page.getByRole('row').filter({ hasText: member.email });
  await row.getByRole('button', { name: 'Disable MFA' }).click();
  await page.getByRole('dialog', { name: `Disable MFA for ${member.email}?` }).getByRole('button', { name: 'Disable MFA' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Disabled MFA for Nora Notme.' })).toBeVisible();
  await signOut(page);

  const link = await mailedLink(page, member.email, 'Your two-step verification was reset', /\/not-me\?token=/);
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'Was this you?' })).toBeVisible();
  await expect(page).toHaveTitle(/This wasn't me/);
  await expect(page.getByText('An administrator turned off your two-step verification.')).toBeVisible();
  // Opening the link changed nothing: the password still works.
  const stillWorks = await request.post('/api/v1/auth/login', { data: { email: member.email, password: PASSWORD } });
  expect(stillWorks.status()).toBe(200);
  await pageReady(page);
  await page.getByRole('button', { name: "This wasn't me" }).click();
  await expect(page.getByRole('status').filter({ hasText: "Done: Nora Notme's account is locked and everyone using it was signed out." })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Account locked' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'What happens next' })).toBeVisible();
  await expect(page.getByRole('button', { name: "This wasn't me" })).toHaveCount(0);

  // The old password no longer signs in.
  await signInWith(page, member.email, PASSWORD);
  await expect(page.getByRole('alert').filter({ hasText: WRONG_PASSWORD })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  // The owner finds them at the top of Users, to review.
  await signInWithRecoveryCode(page, owner);
  await page.getByRole('link', { name: 'Administration' }).click();
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  const first = page.getByRole('table').getByRole('row').nth(1);
  await expect(first).toContainText(member.email);
  await expect(first).toContainText('Reported: “This wasn\'t me”');
  await expect(first.getByRole('button', { name: 'Review and reactivate' })).toBeVisible();
  await expect(page.getByText('Reported: “This wasn\'t me”')).toHaveCount(1);
  await pageReady(page);
  await first.getByRole('button', { name: 'Review and reactivate' }).click();
  const dialog = page.getByRole('dialog', { name: `Reactivate ${member.email} after “This wasn't me”?` });
  await expect(dialog).toContainText('Reactivate only after speaking to them in person');
  await dialog.getByRole('link', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
});

test('a reset from My profile mails a "This wasn\'t me" link that names it', async ({ page, request }) => {
  const user = await enrolled(request, createUserIn(createOrg('company', 'Self Service'), 'owner'));
  await signInWithCode(page, user);
  await page.getByRole('link', { name: 'My profile' }).click();
  await pageReady(page);
  await page.getByRole('button', { name: 'Reset My Multi-Factor Authentication' }).click();
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Reset', exact: true }).click();
  await expect(page.getByText('Your two-step verification was reset')).toBeVisible();

  await page.goto(await mailedLink(page, user.email, 'Your two-step verification was reset', /\/not-me\?token=/));
  await expect(page.getByText('Someone reset your two-step verification from My profile, with your password.')).toBeVisible();
  await expect(page.getByRole('button', { name: "This wasn't me" })).toBeVisible();
  await page.goto('/not-me?token=not-a-token');
  await expect(page.getByText('This link is not valid or is more than 7 days old. Nothing was changed.')).toBeVisible();
  await expect(page.getByRole('button', { name: "This wasn't me" })).toHaveCount(0);
});

test('the only administrator sees "Add a second administrator" on the start page until a second one has MFA', async ({ page, request }) => {
  const company = createOrg('company', 'Lonely Lighthouse');
  const owner = await enrolled(request, createUserIn(company, 'owner'));
  await signInWithCode(page, owner);
  await expect(page).toHaveURL(/\/$/);
  const warning = page.getByRole('status').filter({ hasText: 'Only one person at Lonely Lighthouse can administer it with two-step verification.' });
  await expect(warning).toBeVisible();
  await warning.getByRole('link', { name: 'Add a second administrator' }).click();
  await expect(page).toHaveURL(/\/admin\?invite=1#invite-title$/);
  await expect(page.getByRole('heading', { name: 'Invite a user' })).toBeVisible();
  await expect(page.getByLabel('Email', { exact: true })).toBeVisible();

  // An admin without an authenticator does not count; with one, the warning goes.
  const admin = createUserIn(company, 'admin');
  await page.goto('/');
  await expect(page.getByRole('link', { name: 'Add a second administrator' })).toBeVisible();
  await enrolled(request, admin);
  await page.goto('/');
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Add a second administrator' })).toHaveCount(0);
});

test.describe('with no cooling-off (a server of its own)', () => {
  // The shared server keeps the default 24 hours, which other specs rely on.
  const port = Number(process.env.GATEHOUSE_E2E_OWN_PORT ?? '3101');
  test.use({ baseURL: `http://127.0.0.1:${port}` });
  let server;
  test.beforeAll(async () => {
    server = await startServer(port, { GATEHOUSE_SUPPORT_COOLING_OFF_SECONDS: '0' });
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test('the only owner, locked out, asks the desk from "Locked out?"; a manager approves; the owner sets up a new authenticator', async ({ page, request }) => {
    const company = server.createOrg('company', 'Solo Sails');
    const owner = await enrolled(request, server.createUserIn(company, 'owner', 'Sol Owner'));
    const agent = await enrolled(request, server.createUserIn('platform', 'support', 'Ada Agent'));
    const manager = await enrolled(request, server.createUserIn('platform', 'manager', 'Max Manager'));

    // The code page links to "Locked out?" too.
    await signInWith(page, owner.email, PASSWORD);
    await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Locked out?' })).toHaveAttribute('href', '/locked-out');

    await page.goto('/login');
    await page.getByRole('link', { name: 'Locked out?' }).click();
    await expect(page).toHaveURL(/\/locked-out$/);
    await expect(page.getByRole('heading', { name: 'Locked out?' })).toBeVisible();
    await pageReady(page);
    await expect(page.getByLabel('Email', { exact: true })).toBeFocused();
    await page.getByLabel('Email', { exact: true }).fill(owner.email);
    await page.getByLabel('What happened').fill('Phone stolen on Monday, no recovery codes.');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'If this address belongs to an account, we have emailed it.' })).toBeVisible();

    const link = await mailedLink(page, owner.email, 'Locked out of Gatehouse: confirm your request to the support desk', /\/locked-out\/confirm\?token=/);
    await page.goto(link);
    await expect(page.getByRole('heading', { name: 'Ask the support desk' })).toBeVisible();
    await expect(page.getByText('Nobody else at Solo Sails can reset your two-step verification')).toBeVisible();
    await expect(page.getByLabel('Email', { exact: true })).toHaveValue(owner.email);
    await pageReady(page);
    await expect(page.getByLabel('Password', { exact: true })).toBeFocused();
    await page.getByLabel('Password', { exact: true }).fill('not my password');
    await page.getByRole('button', { name: 'Send to the support desk' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'That password is not correct.' })).toBeVisible();
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Send to the support desk' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Your request is with the support desk.' })).toBeVisible();

    // The agent finds it in the queue and escalates it: an owner needs a manager.
    await signInWithCode(page, agent);
    await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Reset requests' }).click();
    await expect(page.getByRole('heading', { name: 'Reset requests' })).toBeVisible();
    const queued = page.getByRole('row').filter({ hasText: owner.email });
    await expect(queued).toHaveCount(1);
    await queued.getByRole('link', { name: /^Request #\d+$/ }).click();
    await expect(page.getByRole('heading', { name: 'Reset request', exact: true })).toBeVisible();
    const id = Number(new URL(page.url()).pathname.split('/').pop());
    await expect(page.getByText('Locked out: confirmed from the primary email and password', { exact: true })).toBeVisible();
    await expect(page.getByText('Phone stolen on Monday, no recovery codes.', { exact: true })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Issue reset' })).toHaveCount(0);
    await pageReady(page);
    await page.getByLabel('Reason', { exact: true }).fill('The only owner, confirmed by email and password.');
    await page.getByRole('button', { name: 'Escalate to management' }).click();
    await expect(page.getByRole('status').filter({ hasText: `Request #${id} for Sol Owner was escalated to management` })).toBeVisible();
    await signOut(page);

    await signInWithCode(page, manager);
    await page.goto(`/support/requests/${id}`);
    await expect(page.getByRole('heading', { name: 'Reset request', exact: true })).toBeVisible();
    await pageReady(page);
    await page.getByLabel('Reason', { exact: true }).fill('Called the owner back on the number on file.');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Reset approved for Sol Owner' })).toBeVisible();
    // No cooling-off on this server: the pass works at once.
    await expect(page.locator('.subtitle [data-state]')).toHaveText('Reset pass active');
    await signOut(page);

    // The password alone, once; then a new authenticator and new recovery codes.
    await signInWith(page, owner.email, PASSWORD);
    await expect(page.getByRole('heading', { name: 'My Account' })).toBeVisible();
    await expect(page.getByText('The support desk allowed you to reset your two-step verification')).toBeVisible();
    await pageReady(page);
    await page.getByRole('button', { name: 'Reset two-step verification' }).click();
    const secret = await enrollOnPage(page);
    expect(secret).not.toBe(owner.secret);
    expect(await codesOnPage(page)).toHaveLength(10);
    await saveCodesAndContinue(page);
    await signOut(page);

    // The old authenticator is gone; the new one signs in.
    await signInWith(page, owner.email, PASSWORD);
    await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
    await pageReady(page);
    await page.getByLabel('Authentication code', { exact: true }).fill(totp(owner.secret, 1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'That code is not correct' })).toBeVisible();
    // The form is drawn again, empty: a code typed before that would be wiped.
    await expect(page.getByLabel('Authentication code', { exact: true })).toHaveValue('');
    await page.getByLabel('Authentication code', { exact: true }).fill(totp(secret, 1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
  });
});

// Screenshots of the locked-out pages for review, in test-results/screens
// (or GATEHOUSE_E2E_SHOTS).
test('screenshots of the locked-out pages, light and wide, dark and narrow', async ({ browser, request }) => {
  const shots = process.env.GATEHOUSE_E2E_SHOTS ?? path.join(import.meta.dirname, '../test-results/screens');
  fs.mkdirSync(shots, { recursive: true });
  const company = createOrg('company', 'Picture Perfect');
  const owner = await enrolled(request, createUserIn(company, 'owner', 'Pia Picture'));
  const member = await enrolled(request, createUserIn(company, 'member', 'Mo Member'));
  const looks = [
    { name: 'light-1280', viewport: { width: 1280, height: 900 }, colorScheme: 'light' },
    { name: 'dark-390', viewport: { width: 390, height: 844 }, colorScheme: 'dark' },
  ];
  const pages = [];
  for (const look of looks) {
    const context = await browser.newContext({ viewport: look.viewport, colorScheme: look.colorScheme });
    pages.push({ look, page: await context.newPage() });
  }
  const page = pages[0].page;
  const shoot = async (name, url, after) => {
    for (const { look, page: p } of pages) {
      if (url) await p.goto(url);
      await pageReady(p);
      if (after) await after(p);
      await p.screenshot({ path: path.join(shots, `${name}-${look.name}.png`), fullPage: true });
    }
  };
  // Mail for the owner (the only one) and a member's reset, made on the first page.
  await page.goto('/locked-out');
  await pageReady(page);
  await page.getByLabel('Email', { exact: true }).fill(owner.email);
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'we have emailed it' })).toBeVisible();
  await page.goto('/password/forgot');
  await pageReady(page);
  await page.getByLabel('Email', { exact: true }).fill(owner.email);
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'we have emailed it a link' })).toBeVisible();
  const confirm = await mailedLink(page, owner.email, 'Locked out of Gatehouse: confirm your request to the support desk', /\/locked-out\/confirm\?token=/);
  const reset = await mailedLink(page, owner.email, 'Reset your Gatehouse password', /\/password\/reset\?token=/);
  const login = await (await request.post('/api/v1/auth/login', { data: { email: member.email, password: PASSWORD } })).json();
  const done = await request.post('/api/v1/auth/mfa', { data: { mfa_token: login.mfa_token, method: 'totp', code: totp(member.secret, 1) } });
  const token = (await done.json()).access_token;
  const resetMfa = await request.post('/api/v1/mfa/reset', { data: { password: PASSWORD }, headers: { Authorization: `Bearer ${token}` } });
  expect(resetMfa.ok(), await resetMfa.text()).toBeTruthy();
  const notMe = await mailedLink(page, member.email, 'Your two-step verification was reset', /\/not-me\?token=/);

  await shoot('locked-out', '/locked-out');
  await shoot('locked-out-sent', '/locked-out?notice=locked_out_sent');
  await shoot('locked-out-confirm', confirm);
  await shoot('locked-out-confirm-invalid', '/locked-out/confirm?token=nope');
  await shoot('password-forgot', '/password/forgot');
  await shoot('password-reset', reset);
  await shoot('password-reset-invalid', '/password/reset?token=nope');
  await shoot('not-me-before', notMe);
  await page.getByRole('button', { name: "This wasn't me" }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Done:' })).toBeVisible();
  await shoot('not-me-after', notMe);
  await shoot('not-me-invalid', '/not-me?token=nope');
  for (const { page: p } of pages) await p.context().close();
});
