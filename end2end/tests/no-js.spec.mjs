// Sign-in and administration pages work without JavaScript at all (every page is server-drawn).
import { test, expect, enrolledUser, enrolled, createOrg, createUserIn, signIn, signInWithCode, totp, wrongCode } from './helpers.mjs';

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

test('an MSP grants a reset to chosen people and a company admin disables MFA, without JavaScript', async ({ page, request }) => {
  const partner = createOrg('partner', 'Plain IT');
  const company = createOrg('company', 'Plain Co', partner);
  const msp = await enrolled(request, createUserIn(partner, 'admin'));
  const colleague = await enrolled(request, createUserIn(company, 'admin'));
  const member = await enrolled(request, createUserIn(company, 'member'));

  await signInWithCode(page, msp);
  await page.goto('/msp/customers');
  await page.getByRole('row').filter({ hasText: 'Plain Co' }).getByRole('button', { name: 'Grant MFA reset permission' }).click();
  const dialog = page.getByRole('dialog');
  // Chosen people without anyone ticked: a clear refusal, nothing granted.
  await dialog.getByLabel('Reason').fill('Ticket 77');
  await dialog.getByRole('radio', { name: 'Only the people chosen below' }).check();
  await dialog.getByRole('button', { name: 'Grant' }).click();
  await expect(page.getByText('Choose at least one person')).toBeVisible();
  await page.getByLabel('Reason').fill('Ticket 77');
  await page.getByRole('radio', { name: 'Only the people chosen below' }).check();
  await page.getByRole('checkbox', { name: member.email }).check();
  await page.getByRole('button', { name: 'Grant', exact: true }).click();
  await expect(page.getByText('Plain Co may reset MFA until')).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: 'Plain Co' })).toContainText(member.email);

  await page.goto('/admin');
  const row = page.getByRole('row').filter({ hasText: colleague.email });
  await row.getByRole('button', { name: 'Disable MFA' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Disable MFA' }).click();
  await expect(page.getByText(/Disabled MFA for \S+@example\.com\. They were signed out everywhere/)).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: colleague.email })).toContainText('Required, not set up');
});

test('removing an authenticator, new recovery codes and "MFA required" off ask first, without JavaScript', async ({ page, request }) => {
  const company = createOrg('company', 'Plain Confirm');
  const admin = await enrolled(request, createUserIn(company, 'admin'));
  await signInWithCode(page, admin);

  await page.goto('/profile');
  await page.getByRole('button', { name: 'Generate new codes' }).click();
  const codes = page.getByRole('dialog', { name: 'Generate new recovery codes?' });
  await expect(codes).toContainText('Your current codes stop working.');
  await codes.getByRole('button', { name: 'Generate new codes' }).click();
  await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
  await page.getByRole('checkbox', { name: 'I have saved my recovery codes' }).check();
  await page.getByRole('button', { name: 'Continue' }).click();

  // The admin role requires MFA: the only authenticator stays.
  await page.getByRole('button', { name: 'Remove Authenticator app', exact: true }).click();
  const last = page.getByRole('dialog', { name: 'Remove “Authenticator app”?' });
  await expect(last).toContainText('Add another authenticator first, or ask an administrator.');
  await expect(last.getByRole('button', { name: 'Remove' })).toHaveCount(0);

  await page.goto('/admin/roles');
  const adminRow = page.getByRole('row').filter({ hasText: /^admin/ });
  await adminRow.getByRole('switch', { name: 'MFA required' }).click();
  const off = page.getByRole('dialog', { name: 'Turn off MFA required for admin?' });
  await expect(off).toContainText('Members can then sign in with a password only');
  await off.getByRole('button', { name: 'Turn off MFA required' }).click();
  await expect(page.getByText('MFA is no longer required for “admin”.')).toBeVisible();

  // Now the last authenticator may go, after saying what that means.
  await page.goto('/profile');
  await page.getByRole('button', { name: 'Remove Authenticator app', exact: true }).click();
  const remove = page.getByRole('dialog', { name: 'Remove “Authenticator app”?' });
  await expect(remove).toContainText('two-step verification turns off');
  await remove.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByText('The authenticator was removed.')).toBeVisible();
  await expect(page.getByText('Two-step verification is off.')).toBeVisible();
});
