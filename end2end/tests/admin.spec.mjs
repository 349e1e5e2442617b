// Administration in Chromium: the MSP's reset grant used from My Account, a
// company admin disabling a user's MFA, the MFA-required switch, the audit log.
import fs from 'node:fs';
import {
  test, expect, createOrg, createUserIn, enrolled, signIn, signInWithCode, pageReady,
  enrollOnPage, codesOnPage, saveCodesAndContinue, totp, signInWithRecoveryCode,
} from './helpers.mjs';

async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
}

test('the MSP grants a reset; the customer resets from My Account and enrolls a new device', async ({ page, request }) => {
  const partner = createOrg('partner', 'Northwind IT');
  const company = createOrg('company', 'Contoso Ltd', partner);
  const msp = await enrolled(request, createUserIn(partner, 'admin'));
  const user = await enrolled(request, createUserIn(company, 'member'));
  const bystander = await enrolled(request, createUserIn(company, 'member'));

  await signInWithCode(page, msp);
  await page.getByRole('link', { name: 'Customers' }).click();
  await expect(page.getByRole('heading', { name: 'Customers' })).toBeVisible();
  await pageReady(page);
  const row = page.getByRole('row').filter({ hasText: 'Contoso Ltd' });
  await expect(row.getByRole('cell').first()).toHaveText('2');
  await row.getByRole('button', { name: 'Grant MFA reset permission' }).click();
  const dialog = page.getByRole('dialog', { name: 'Grant MFA reset permission to Contoso Ltd' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Duration')).toBeFocused();
  await dialog.getByLabel('Duration').selectOption({ label: '4 hours' });
  await dialog.getByLabel('Reason').fill('Lost phone, ticket 4411');
  // The whole company leaves nobody to choose: the list is disabled meanwhile.
  await dialog.getByRole('radio', { name: 'Everyone at Contoso Ltd' }).check();
  await expect(dialog.getByRole('checkbox', { name: user.email })).toBeDisabled();
  await dialog.getByRole('radio', { name: 'Only the people chosen below' }).check();
  await expect(dialog.getByRole('checkbox', { name: user.email })).toBeEnabled();
  await dialog.getByRole('checkbox', { name: user.email }).check();
  await dialog.getByRole('button', { name: 'Grant' }).click();
  // The notice names the company it is about.
  await expect(page.getByRole('status').filter({ hasText: 'Contoso Ltd may reset MFA until' })).toBeVisible();
  await expect(row).toContainText(user.email);
  await expect(row).toContainText('Lost phone, ticket 4411');
  await expect(row.getByRole('button', { name: 'Revoke' })).toBeVisible();
  await signOut(page);

  // The covered user signs in with the password only and lands on My Account.
  await signIn(page, user.email);
  await expect(page.getByRole('heading', { name: 'My Account' })).toBeVisible();
  await expect(page.getByText('Northwind IT allowed you to reset your two-step verification')).toBeVisible();
  await pageReady(page);
  await page.getByRole('button', { name: 'Reset two-step verification' }).click();
  await expect(page.getByText('You are resetting your two-step verification.')).toBeVisible();
  const newSecret = await enrollOnPage(page);
  expect(await codesOnPage(page)).toHaveLength(10);
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download' }).click();
  expect((await downloading).suggestedFilename()).toBe('gatehouse-recovery-codes.txt');
  await saveCodesAndContinue(page);
  await expect(page.getByRole('table').getByRole('row')).toHaveCount(2); // header + the one new authenticator
  // My profile is the one place for the account: the grant is used up, so its reset is gone.
  await expect(page.getByRole('heading', { name: 'My profile' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Reset two-step verification' })).toHaveCount(0);
  await page.goto('/account');
  await expect(page.getByRole('heading', { name: 'My profile' })).toBeVisible();
  await signOut(page);

  // Used up: the next sign-in asks for the new authenticator; the old one no longer works.
  await signIn(page, user.email);
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await pageReady(page);
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(user.secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'That code is not correct' })).toBeVisible();
  // The form is drawn again, empty: a code typed before that would be wiped.
  await expect(page.getByLabel('Authentication code', { exact: true })).toHaveValue('');
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(newSecret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
  await signOut(page);

  // Someone the grant did not cover still needs their authenticator.
  await signIn(page, bystander.email);
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();

  // The partner sees the grant done: everyone it named has used it, nothing left to revoke.
  await signInWithRecoveryCode(page, msp);
  await page.goto('/msp/customers');
  await expect(row.getByText('Done', { exact: true })).toBeVisible();
  await expect(row).toContainText('Everyone it named has set up a new authenticator.');
  await expect(row.getByRole('button', { name: /Revoke/ })).toHaveCount(0);
});

test('an invitation nobody accepted is sent again or withdrawn from its row', async ({ page, request }) => {
  const company = createOrg('company', 'Fabrikam');
  const admin = await enrolled(request, createUserIn(company, 'admin'));
  const invitee = `nina-${Date.now()}@example.com`;

  await signInWithCode(page, admin);
  await page.goto('/admin');
  await pageReady(page);
  await page.getByRole('heading', { name: 'Invite a user' }).click();
  await page.getByLabel('Email', { exact: true }).fill(invitee);
  await page.getByLabel('Name', { exact: true }).fill('Nina New');
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Invited ${invitee}` })).toBeVisible();
  const row = page.getByRole('row').filter({ hasText: invitee });
  await expect(row).toContainText('Invited');
  // Nothing to reset or sign out: the row offers what an invitation needs.
  await expect(row.getByRole('button', { name: 'Disable MFA' })).toHaveCount(0);

  await row.getByRole('button', { name: 'Resend invitation' }).click();
  const resend = page.getByRole('dialog', { name: `Send the invitation to ${invitee} again?` });
  await expect(resend).toContainText('the link sent before stops working');
  await resend.getByRole('button', { name: 'Resend invitation' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Sent the invitation to ${invitee} again.` })).toBeVisible();

  await row.getByText('More', { exact: true }).click();
  await row.getByRole('button', { name: 'Withdraw invitation' }).click();
  const withdraw = page.getByRole('dialog', { name: `Withdraw the invitation of ${invitee}?` });
  await expect(withdraw.getByRole('button', { name: 'Withdraw invitation' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(withdraw).toHaveCount(0);
  await expect(row).toHaveCount(1);
  // The menu may still be open from before.
  const withdrawButton = row.getByRole('button', { name: 'Withdraw invitation' });
  if (!(await withdrawButton.isVisible())) await row.getByText('More', { exact: true }).click();
  await withdrawButton.click();
  await withdraw.getByRole('button', { name: 'Withdraw invitation' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Withdrew the invitation of ${invitee}` })).toBeVisible();
  await expect(row).toHaveCount(0);
  await signOut(page);

  // Both links in the mailbox are dead now.
  await page.goto('/dev/mailbox');
  const links = page.getByRole('article').filter({ hasText: invitee }).getByRole('link', { name: /\/invite\?token=/ });
  await expect(links).toHaveCount(2);
  for (const link of await links.all()) {
    const href = await link.getAttribute('href');
    const answer = await page.context().newPage();
    await answer.goto(href);
    await expect(answer.getByText('This invitation link has expired or was already used.')).toBeVisible();
    await answer.close();
  }
});

test('a company admin disables a user\'s MFA and the user enrolls again; the audit log shows it', async ({ page, request }) => {
  const company = createOrg('company', 'Fabrikam');
  const admin = await enrolled(request, createUserIn(company, 'admin'));
  const colleague = await enrolled(request, createUserIn(company, 'admin'));

  await signInWithCode(page, admin);
  await page.getByRole('link', { name: 'Administration' }).click();
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Users' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'User roles' })).toBeVisible();
  await pageReady(page);
  await page.getByLabel('Search by email or name').fill(colleague.email);
  await page.getByRole('button', { name: 'Filter' }).click();
  const row = page.getByRole('row').filter({ hasText: colleague.email });
  await expect(row).toContainText('On · 1 authenticator');
  await expect(page.getByRole('row')).toHaveCount(2);
  await row.getByRole('button', { name: 'Disable MFA' }).click();
  const dialog = page.getByRole('dialog', { name: `Disable MFA for ${colleague.email}?` });
  await expect(dialog.getByRole('button', { name: 'Disable MFA' })).toBeFocused();
  await dialog.getByRole('button', { name: 'Disable MFA' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Disabled MFA for ${colleague.email}. They were signed out everywhere` })).toBeVisible();
  await expect(row).toContainText('Required, not set up');
  await expect(row.getByRole('button', { name: 'Disable MFA' })).toHaveCount(0);

  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();
  await page.getByLabel('Action').selectOption('mfa.reset');
  await page.getByRole('button', { name: 'Filter' }).click();
  // Entries read as sentences, with the browser in a few words.
  const entry = page.getByRole('row').filter({ hasText: 'mfa.reset' });
  await expect(entry).toHaveCount(1);
  await expect(entry).toContainText(`${admin.email} disabled MFA for ${colleague.email}`);
  await expect(entry).toContainText('Chrome on Linux');
  // Download CSV saves exactly what the form shows, named with its dates.
  const today = new Date().toISOString().slice(0, 10);
  await page.getByLabel('From').fill(today);
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download CSV' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`gatehouse-audit-${today}-now.csv`);
  const csv = fs.readFileSync(await download.path(), 'utf8');
  expect(csv.split('\n')[0]).toBe('time_utc,unix_time,organization,actor,subject,action,ip,browser,details');
  expect(csv.trim().split('\n')).toHaveLength(2);
  expect(csv).toContain('mfa.reset');
  // A reversed range says so, and keeps the form as typed.
  await page.getByLabel('From').fill('2026-12-31');
  await page.getByLabel('To').fill('2026-01-01');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'The “From” date is after the “To” date' })).toBeVisible();
  await expect(page.getByLabel('From')).toHaveAttribute('aria-invalid', 'true');
  await signOut(page);

  // Admins must use MFA: the colleague sets up a new authenticator at sign-in.
  await signIn(page, colleague.email);
  await enrollOnPage(page);
  await saveCodesAndContinue(page);
});

test('turning "MFA required" on for members sends them to enrollment, off asks first; a custom role is added', async ({ page, request }) => {
  const company = createOrg('company', 'Tailspin');
  const admin = await enrolled(request, createUserIn(company, 'admin'));
  const member = createUserIn(company, 'member');

  await signInWithCode(page, admin);
  await page.goto('/admin/roles');
  await expect(page.getByRole('heading', { name: 'User roles' })).toBeVisible();
  await pageReady(page);
  const memberRow = page.getByRole('row').filter({ hasText: /^member/ });
  const toggle = memberRow.getByRole('switch', { name: 'MFA required' });
  await expect(toggle).toHaveAttribute('aria-checked', 'false');
  await toggle.click();
  await expect(page.getByRole('status').filter({ hasText: 'MFA is now required for “member”' })).toBeVisible();
  await expect(memberRow.getByRole('switch', { name: 'MFA required' })).toHaveAttribute('aria-checked', 'true');

  // Turning it off asks first and says what follows; Cancel keeps it on.
  const adminRow = page.getByRole('row').filter({ hasText: /^admin/ });
  await adminRow.getByRole('switch', { name: 'MFA required' }).click();
  const dialog = page.getByRole('dialog', { name: 'Turn off MFA required for admin?' });
  await expect(dialog).toContainText('Members can then sign in with a password only');
  await expect(dialog.getByRole('button', { name: 'Turn off MFA required' })).toBeFocused();
  // It opens under the row it is about, and Escape closes it like Cancel.
  await expect(page.locator('tr:has(th:text-matches("^admin")) + tr').getByRole('dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await adminRow.getByRole('switch', { name: 'MFA required' }).click();
  await dialog.getByRole('link', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(adminRow.getByRole('switch', { name: 'MFA required' })).toHaveAttribute('aria-checked', 'true');
  await adminRow.getByRole('switch', { name: 'MFA required' }).click();
  await dialog.getByRole('button', { name: 'Turn off MFA required' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'MFA is no longer required for “admin”.' })).toBeVisible();
  await expect(adminRow.getByRole('switch', { name: 'MFA required' })).toHaveAttribute('aria-checked', 'false');

  // "Passkey required" sits next to it. This server has no domain name, so
  // the page says the switch is not enforced here.
  await expect(page.getByText('“Passkey required” is not enforced here')).toBeVisible();
  const passkeySwitch = memberRow.getByRole('switch', { name: 'Passkey required' });
  await expect(passkeySwitch).toHaveAttribute('aria-checked', 'false');
  await passkeySwitch.click();
  await expect(page.getByRole('status').filter({ hasText: 'A passkey is now required for “member”' })).toBeVisible();
  await memberRow.getByRole('switch', { name: 'Passkey required' }).click();
  const passkeyDialog = page.getByRole('dialog', { name: 'Turn off Passkey required for member?' });
  await expect(passkeyDialog).toContainText('a fake sign-in page can capture');
  await passkeyDialog.getByRole('button', { name: 'Turn off Passkey required' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'A passkey is no longer required for “member”.' })).toBeVisible();
  await expect(memberRow.getByRole('switch', { name: 'Passkey required' })).toHaveAttribute('aria-checked', 'false');

  await page.getByLabel('Role name').fill('Helpdesk');
  await page.getByRole('checkbox', { name: 'See users' }).check();
  await page.getByRole('checkbox', { name: 'Read and export the audit log' }).check();
  await page.getByRole('button', { name: 'Add role' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Added the role “Helpdesk”.' })).toBeVisible();
  // The form is drawn again, empty, for the next role.
  await expect(page.getByLabel('Role name')).toHaveValue('');
  // The same name again is refused, and the notice of the last success goes.
  await page.getByLabel('Role name').fill('HELPDESK');
  await page.getByRole('checkbox', { name: 'See users' }).check();
  await page.getByRole('button', { name: 'Add role' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'There is already a role named “HELPDESK”.' })).toBeVisible();
  await expect(page.getByText('Added the role “Helpdesk”.')).toHaveCount(0);
  // What was typed and ticked comes back to be corrected, and the refusal
  // has the focus, so a screen reader reads it first.
  await expect(page.getByLabel('Role name')).toHaveValue('HELPDESK');
  await expect(page.getByRole('checkbox', { name: 'See users' })).toBeChecked();
  await expect(page.locator('main .alert.error')).toBeFocused();
  const custom = page.getByRole('row').filter({ hasText: 'helpdesk' });
  await expect(custom).toContainText('Custom');
  await expect(custom).toContainText('Read and export the audit log');
  await expect(custom).not.toContainText('Disable a user');
  await signOut(page);

  await signIn(page, member);
  await expect(page.getByText('Your organization requires two-step verification.')).toBeVisible();
  await enrollOnPage(page);
});

test('a partner adds a customer; its first owner is invited, chooses a password and enrolls', async ({ page, request }) => {
  const partner = createOrg('partner', 'Woodgrove IT');
  const msp = await enrolled(request, createUserIn(partner, 'admin'));
  const owner = `first-owner-${Date.now()}@example.com`;

  await signInWithCode(page, msp);
  await page.goto('/msp/customers');
  await pageReady(page);
  await page.getByLabel('Company name').fill('Litware Inc');
  await page.getByLabel("First admin's email").fill(owner);
  await page.getByLabel("First admin's name").fill('Lena Litware');
  await page.getByRole('button', { name: 'Create customer' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Added Litware Inc. Its first admin, ${owner}, was invited by email.` })).toBeVisible();
  await expect(page.getByLabel('Company name')).toHaveValue('');
  await expect(page.getByRole('row').filter({ hasText: 'Litware Inc' })).toBeVisible();
  await signOut(page);

  // The invitation in the mailbox: its link opens the page to choose a password (once).
  await page.goto('/dev/mailbox');
  const mail = page.getByRole('article').filter({ hasText: owner }).filter({ hasText: 'You are invited to Gatehouse' }).first();
  const link = await mail.getByRole('link', { name: /\/invite\?token=/ }).getAttribute('href');
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
  await pageReady(page);
  await expect(page.getByLabel('New password')).toBeFocused();
  await page.getByLabel('New password').fill('password');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByRole('alert').filter({ hasText: /common|password/i })).toBeVisible();
  await page.getByLabel('New password').fill('litware lamps glow softly');
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByText('Your password is set. Sign in to continue.')).toBeVisible();
  await page.goto(link);
  await expect(page.getByText('This invitation link has expired or was already used.')).toBeVisible();

  // Owners must use MFA: the first sign-in sets up the authenticator.
  await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill(owner);
  await page.getByLabel('Password', { exact: true }).fill('litware lamps glow softly');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await enrollOnPage(page);
});

test('a long user list pages forward and back with "Next page" and "Previous page"', async ({ page, request }) => {
  const company = createOrg('company', 'Longlist Ltd');
  const owner = await enrolled(request, createUserIn(company, 'owner'));
  for (let n = 0; n < 55; n += 1) createUserIn(company, 'member');

  await signInWithCode(page, owner);
  await page.goto('/admin');
  const pager = page.getByRole('navigation', { name: 'Pages' });
  await expect(pager).toContainText('56 users · page 1 of 2');
  await expect(pager.getByRole('link', { name: 'Previous page' })).toHaveCount(0);
  const firstPage = await page.getByRole('row').allInnerTexts();
  await pageReady(page);
  await pager.getByRole('link', { name: 'Next page' }).click();
  // The next page starts after the last row shown, and says where it is.
  await expect(page).toHaveURL(/[?&]page=2&after=\d+$/);
  await expect(pager).toContainText('56 users · page 2 of 2');
  await expect(pager.getByRole('link', { name: 'Next page' })).toHaveCount(0);
  await expect(page.getByRole('row')).toHaveCount(1 + 6);
  await pager.getByRole('link', { name: 'Previous page' }).click();
  await expect(page).toHaveURL(/[?&]page=1&before=\d+$/);
  await expect(pager).toContainText('56 users · page 1 of 2');
  expect(await page.getByRole('row').allInnerTexts()).toEqual(firstPage);
});
