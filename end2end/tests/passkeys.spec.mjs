// Passkeys in Chromium, with the DevTools protocol's virtual authenticator
// (a platform authenticator with user verification, touched at once): add a
// passkey on My profile, sign in with it, confirm it is you with it, remove it. On a server of its own,
// whose public URL is a domain name (localhost), as passkeys need.
import {
  test, expect, enrolled, signInWithCode, signIn, signOut, pageReady, startServer, PASSWORD,
} from './helpers.mjs';

const port = Number(process.env.GATEHOUSE_E2E_PASSKEY_PORT ?? '3102');
const origin = `http://localhost:${port}`;

/** This page's browser gets a device that makes and uses passkeys. */
async function virtualAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

test.describe('passkeys (a server of its own, on localhost)', () => {
  test.use({ baseURL: origin });
  let server;
  test.beforeAll(async () => {
    server = await startServer(port, { GATEHOUSE_PUBLIC_URL: origin });
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test('adds a passkey on My profile, signs in with it, and removes it', async ({ page, request }) => {
    await virtualAuthenticator(page);
    const user = await enrolled(request, server.createUserIn('platform', 'owner', 'Pat Passkey'));
    await signInWithCode(page, user);
    await page.goto('/profile');
    await pageReady(page);
    await page.getByLabel('Passkey name').fill('This laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Added the passkey “This laptop”.' })).toBeVisible();
    await expect(page.getByRole('row').filter({ hasText: 'This laptop' })).toContainText('Passkey');

    // At the next sign-in the passkey comes first; one touch signs in.
    await signOut(page);
    await signIn(page, user.email);
    await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();

    // "Confirm it's you" takes the password and the passkey, instead of a code.
    await page.goto('/confirm-identity?next=/profile');
    await pageReady(page);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Confirm with a passkey' }).click();
    await expect(page.getByRole('heading', { name: 'My profile' })).toBeVisible();

    // Removed with a confirmation, like an authenticator.
    await pageReady(page);
    await page.getByRole('button', { name: 'Remove This laptop', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove “This laptop”?' });
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await expect(page.getByRole('row').filter({ hasText: 'This laptop' })).toHaveCount(0);

    // Without a passkey the code is asked for again.
    await signOut(page);
    await signIn(page, user.email);
    await expect(page.getByLabel('Authentication code', { exact: true })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Use a passkey' })).toHaveCount(0);
  });

  test('where the role requires a passkey, the first sign-in ends by adding one', async ({ page }) => {
    await virtualAuthenticator(page);
    // The platform's support desk requires passkeys by default.
    const email = server.createUserIn('platform', 'support', 'Sam Support');
    await signIn(page, email);
    await expect(page.getByRole('heading', { name: 'Add a passkey' })).toBeVisible();
    await expect(page.getByText('requires two-step verification with a passkey')).toBeVisible();
    // No authenticator app is offered instead.
    await expect(page.getByLabel('Authentication code', { exact: true })).toHaveCount(0);
    await pageReady(page);
    await page.getByLabel('Passkey name').fill('Desk laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(page.getByRole('heading', { name: 'Save your recovery codes' })).toBeVisible();
    await page.getByLabel('I have saved my recovery codes').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('row').filter({ hasText: 'Desk laptop' })).toContainText('Passkey');

    // From then on only the passkey signs in: no code is offered.
    await signOut(page);
    await signIn(page, email);
    await expect(page.getByText('Your role requires signing in with your passkey.')).toBeVisible();
    await expect(page.getByLabel('Authentication code', { exact: true })).toHaveCount(0);
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
  });
});
