// The support desk in Chromium: an authorized contact proven by their support
// code, an agent who issues the reset, the person who uses it; an escalation a
// manager approves and "This wasn't me" cancels; authorized contacts; what the
// desk did, as the customer's admins see it.
import fs from 'node:fs';
import {
  test, expect, createOrg, createUserIn, enrolled, signIn, signInWithCode, signInWithRecoveryCode,
  signOut, pageReady, enrollOnPage, codesOnPage, saveCodesAndContinue, ageMfa, mailTo,
} from './helpers.mjs';

const APPROVED = 'A reset of two-step verification was approved';

/** The agent files a request on the desk's form and lands on its page; its id. */
async function fileRequest(page, { requester, user, channel, reference }, { javaScript = true } = {}) {
  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Reset requests' }).click();
  await expect(page.getByRole('heading', { name: 'Reset requests' })).toBeVisible();
  await page.getByRole('link', { name: 'New request' }).click();
  if (javaScript) await pageReady(page);
  await page.getByLabel('Requester email').fill(requester);
  await page.getByLabel('User email').fill(user);
  await page.getByLabel('Channel').selectOption(channel);
  await page.getByLabel('Reference').fill(reference);
  await page.getByRole('button', { name: 'Create request' }).click();
  await expect(page.getByRole('heading', { name: 'Reset request', exact: true })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: /Request #\d+ filed/ })).toBeVisible();
  return Number(new URL(page.url()).pathname.split('/').pop());
}

function stateOf(page) {
  return page.locator('.subtitle [data-state]');
}

test('the officer reads out their support code, the agent issues the reset, the person signs in and sets up a new authenticator', async ({ page, request }) => {
  const company = createOrg('company', 'Acme Anvils');
  // The officer is the company's first owner. An authenticator set up a moment
  // ago would raise the "requester's MFA changed" flag (and need a manager):
  // theirs looks eight days old.
  const officer = await enrolled(request, createUserIn(company, 'owner', 'Olivia Officer'));
  ageMfa(officer.email, 8);
  const member = await enrolled(request, createUserIn(company, 'member', 'Mia Member'));
  const agent = await enrolled(request, createUserIn('platform', 'support', 'Sam Support'));

  // The officer's code, from their own Support page.
  await signInWithCode(page, officer);
  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Support' }).click();
  await expect(page.getByRole('heading', { name: 'Your support code' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Request an MFA reset' })).toBeVisible();
  const code = (await page.locator('.support-code output').textContent()).trim();
  expect(code).toMatch(/^\d{8}$/);
  await signOut(page);

  // The agent files what the officer asks on the phone and checks the code.
  await signInWithCode(page, agent);
  const id = await fileRequest(page, { requester: officer.email, user: member.email, channel: 'phone', reference: 'Call 1001' });
  await expect(stateOf(page)).toHaveText('Open');
  await expect(page.getByText('Mia Member · ' + member.email)).toBeVisible();
  await expect(page.getByText('No risk flag is up.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Issue reset' })).toHaveCount(0);
  await expect(page.getByText('3 checks left')).toBeVisible();
  await pageReady(page);
  await page.getByLabel('Support code', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'Check support code' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The support code matches: Olivia Officer is proven' })).toBeVisible();
  const checks = page.getByRole('table', { name: 'Identity checks' });
  await expect(checks.getByRole('row').filter({ hasText: 'Support code' })).toContainText('Passed');
  await expect(checks).not.toContainText(code);

  await page.getByRole('button', { name: 'Issue reset' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Reset pass issued for Mia Member' })).toBeVisible();
  await expect(stateOf(page)).toHaveText('Reset pass active');
  await expect(page.getByRole('button', { name: 'Issue reset' })).toHaveCount(0);
  await expect(page.locator('.timeline')).toContainText('Reset pass issued');
  await page.getByRole('link', { name: '← Reset requests' }).click();
  await expect(page.getByRole('row').filter({ hasText: `Request #${id}` })).toContainText('Reset pass active');
  await signOut(page);

  // The person's own mailbox says the reset was approved.
  await page.goto('/dev/mailbox');
  const mail = mailTo(page, member.email, APPROVED);
  await expect(mail).toContainText('The support desk approved a reset of your two-step verification');
  await expect(mail.getByRole('link', { name: /\/support\/cancel\?token=/ })).toBeVisible();

  // Password only, once; then a new authenticator and new recovery codes.
  await signIn(page, member.email);
  await expect(page.getByRole('heading', { name: 'My Account' })).toBeVisible();
  await expect(page.getByText('The support desk allowed you to reset your two-step verification')).toBeVisible();
  await pageReady(page);
  await page.getByRole('button', { name: 'Reset two-step verification' }).click();
  await enrollOnPage(page);
  expect(await codesOnPage(page)).toHaveLength(10);
  await saveCodesAndContinue(page);
});

test('the agent escalates, a manager approves, and "This wasn\'t me" cancels the reset during the cooling-off', async ({ page, request }) => {
  const company = createOrg('company', 'Bluebird Bakery');
  const officer = await enrolled(request, createUserIn(company, 'owner', 'Otto Owner'));
  const member = createUserIn(company, 'member', 'Max Member');
  const agent = await enrolled(request, createUserIn('platform', 'support', 'Alex Agent'));
  const manager = await enrolled(request, createUserIn('platform', 'manager', 'Morgan Manager'));

  await signInWithCode(page, agent);
  const id = await fileRequest(page, { requester: officer.email, user: member, channel: 'ticket', reference: 'T-77' });
  // The officer set up MFA moments ago: a flag, in words.
  await expect(page.getByText("The requester's own two-step verification changed in the last 7 days")).toBeVisible();
  await pageReady(page);
  await page.getByText("The operator's procedure").click();
  await expect(page.getByText('The operator has not written one (GATEHOUSE_SUPPORT_PROCEDURE)')).toBeVisible();
  await page.getByRole('radio', { name: 'Failed' }).check();
  await page.getByLabel('What you checked').fill('The caller could not name the contract date.');
  await page.getByRole('button', { name: 'Record last-resort check' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Last-resort check recorded as failed. 2 checks left.' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Identity checks' }).getByRole('row').filter({ hasText: 'Last resort' })).toContainText('Failed');

  await page.getByLabel('Reason', { exact: true }).fill('Could not verify the caller; they insist it is urgent.');
  await page.getByRole('button', { name: 'Escalate to management' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Request #${id} for Max Member was escalated to management` })).toBeVisible();
  await expect(stateOf(page)).toHaveText('Waiting for a manager');
  await expect(page.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await signOut(page);

  // A manager (not the agent who escalated) approves with a reason.
  await signInWithCode(page, manager);
  await page.goto(`/support/requests/${id}`);
  await expect(page.getByRole('heading', { name: 'Reset request', exact: true })).toBeVisible();
  await expect(page.locator('.timeline')).toContainText('Escalated to management: “Could not verify the caller');
  await pageReady(page);
  await page.getByLabel('Reason', { exact: true }).fill('Called the officer back on the number on file.');
  await page.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Reset approved for Max Member' })).toBeVisible();
  await expect(stateOf(page)).toHaveText('Cooling off');
  await signOut(page);

  // The requester's copy of the email carries a "This wasn't me" link.
  await page.goto('/dev/mailbox');
  const mail = mailTo(page, officer.email, APPROVED);
  await expect(mail).toContainText('You asked the support desk to reset the two-step verification of Max Member');
  const link = await mail.getByRole('link', { name: /\/support\/cancel\?token=/ }).getAttribute('href');
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'Cancel a reset' })).toBeVisible();
  await expect(page).toHaveTitle(/Cancel a reset/);
  await expect(page.getByText('The reset has not started yet')).toBeVisible();
  await pageReady(page);
  await page.getByRole('button', { name: "This wasn't me" }).click();
  await expect(page.getByText(`The reset for Max Member is cancelled (request #${id}).`)).toBeVisible();
  await expect(page.getByRole('heading', { name: 'What happens next' })).toBeVisible();
  await expect(page.getByRole('button', { name: "This wasn't me" })).toHaveCount(0);

  // The desk sees it cancelled and reported.
  await signInWithRecoveryCode(page, agent);
  await page.goto(`/support/requests/${id}`);
  await expect(stateOf(page)).toHaveText('Cancelled');
  await expect(page.getByText('Someone answered “This wasn\'t me”')).toBeVisible();
  await expect(page.locator('.timeline')).toContainText(`“This wasn't me” from ${officer.email}`);
  await expect(page.getByText('Nothing more can be done with this request.')).toBeVisible();
  await signOut(page);

  // The company's admins see what the desk did to their people, and download it.
  await signInWithCode(page, officer);
  await page.getByRole('link', { name: 'Administration' }).click();
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Support requests' }).click();
  await expect(page.getByRole('heading', { name: 'Support requests' })).toBeVisible();
  const seen = page.getByRole('article', { name: `Request #${id} · Max Member` });
  await expect(seen.locator('[data-state]')).toHaveText('Cancelled');
  await expect(seen.locator('.timeline')).toContainText('Escalated to management');
  await expect(seen).not.toContainText('could not name the contract date'); // the desk's note stays with the desk
  const downloadingCsv = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download CSV' }).click();
  const csv = fs.readFileSync(await (await downloadingCsv).path(), 'utf8');
  expect(csv.split('\n')[0]).toBe('id,created_at,state,organization,user,requester,channel,reference,flags,checks,pass_active_at,pass_expires_at,reported');
  expect(csv).toContain(`"${id}"`);
  const downloadingJson = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download JSON' }).click();
  const json = JSON.parse(fs.readFileSync(await (await downloadingJson).path(), 'utf8'));
  expect(json.requests.find((r) => r.id === id).state).toBe('cancelled');
});

test('an owner sees the authorized contacts and names a technical contact, who may then ask for a reset', async ({ page, request }) => {
  const company = createOrg('company', 'Contoso Coffee');
  const owner = await enrolled(request, createUserIn(company, 'owner', 'Ophelia Owner'));
  const tech = createUserIn(company, 'member', 'Theo Tech');
  const colleague = createUserIn(company, 'member', 'Cora Colleague');

  await signInWithCode(page, owner);
  await page.getByRole('link', { name: 'Administration' }).click();
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Authorized contacts' }).click();
  await expect(page.getByRole('heading', { name: 'Authorized contacts' })).toBeVisible();
  await expect(page.getByText(`Ophelia Owner (${owner.email})`)).toBeVisible();
  await expect(page.getByText('(first owner, by default)')).toBeVisible();
  await expect(page.getByLabel('Authorized officer email')).toHaveValue(owner.email);
  await expect(page.getByLabel('Technical contact email')).toHaveCount(3);
  await pageReady(page);
  await page.getByLabel('Technical contact email').first().fill(tech);
  await page.getByRole('button', { name: 'Save contacts' }).click();
  await expect(page.getByText('The authorized contacts are saved.')).toBeVisible();
  await expect(page.getByText(`Theo Tech (${tech})`)).toBeVisible();
  await expect(page.getByText('(first owner, by default)')).toHaveCount(0);
  await expect(page.getByLabel('Technical contact email').first()).toHaveValue(tech);
  await signOut(page);

  // The technical contact now asks for a reset from their Support page, signed in.
  await signIn(page, tech);
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
  await page.goto('/support');
  await expect(page.getByRole('heading', { name: 'Request an MFA reset' })).toBeVisible();
  await pageReady(page);
  await page.getByLabel('User email').fill(colleague);
  await page.getByRole('button', { name: 'Request an MFA reset' }).click();
  await expect(page.getByText('Your request is with the support desk.')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Your requests' })).toContainText('Cora Colleague');
  await page.getByRole('link', { name: /^See request #\d+$/ }).click();
  await expect(page.getByRole('heading', { name: 'Reset request', exact: true })).toBeVisible();
  await expect(page.locator('.subtitle [data-state]')).toHaveText('Open');
  await expect(page.getByText('Filed in Gatehouse by the requester, signed in', { exact: true })).toBeVisible();
  // Readers see what happened, not the desk's details.
  await expect(page.locator('.timeline')).toHaveText(/Request filed\./);
  await expect(page.getByText('Read-only: the support desk works this request.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Check support code' })).toHaveCount(0);

  // The desk's queue is not theirs.
  await page.goto('/support/requests');
  await expect(page.getByText('Only the support desk works reset requests.')).toBeVisible();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the desk files, checks and escalates, a manager approves, and the emailed link changes nothing until pressed', async ({ page, request }) => {
    const company = createOrg('company', 'Plain Pottery');
    const officer = await enrolled(request, createUserIn(company, 'owner', 'Pia Plain'));
    const member = createUserIn(company, 'member', 'Nils Noscript');
    const agent = await enrolled(request, createUserIn('platform', 'support'));
    const manager = await enrolled(request, createUserIn('platform', 'manager'));

    await signInWithCode(page, agent);
    const id = await fileRequest(page, { requester: officer.email, user: member, channel: 'email', reference: 'mail 5' }, { javaScript: false });
    // No card on file: the refusal says so and counts nothing.
    await page.getByLabel('Card last 4 digits').fill('4242');
    await page.getByLabel('Card expiry (MM/YY)').fill('12/29');
    await page.getByRole('button', { name: 'Check card' }).click();
    // The refusal's own words, kept by the session for the page it comes back to.
    await expect(page.getByRole('alert').filter({ hasText: 'No card is on file for' })).toBeVisible();
    await expect(page.getByText('3 checks left')).toBeVisible();
    await page.getByLabel('Support code', { exact: true }).fill('0000 0000');
    await page.getByRole('button', { name: 'Check support code' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'The support code does not match, or was used or expired. 2 checks left.' })).toBeVisible();
    await page.getByLabel('Reason', { exact: true }).fill('The code did not match.');
    await page.getByRole('button', { name: 'Escalate to management' }).click();
    await expect(stateOf(page)).toHaveText('Waiting for a manager');
    await signOut(page);

    await signInWithCode(page, manager);
    await page.goto(`/support/requests/${id}`);
    await page.getByLabel('Reason', { exact: true }).fill('Confirmed by a call to the number on file.');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Reset approved for Nils Noscript' })).toBeVisible();
    await expect(stateOf(page)).toHaveText('Cooling off');
    await signOut(page);

    await page.goto('/dev/mailbox');
    const link = await mailTo(page, member, APPROVED).getByRole('link', { name: /\/support\/cancel\?token=/ }).getAttribute('href');
    // Opening the link (twice) changes nothing.
    await page.goto(link);
    await page.goto(link);
    await expect(page.getByText('The reset has not started yet')).toBeVisible();
    await page.getByRole('button', { name: "This wasn't me" }).click();
    await expect(page.getByText(`The reset for Nils Noscript is cancelled (request #${id}).`)).toBeVisible();
    await page.goto('/support/cancel?token=not-a-token');
    await expect(page.getByText('This link is not valid or has expired')).toBeVisible();
    await expect(page.getByRole('button', { name: "This wasn't me" })).toHaveCount(0);
  });
});
