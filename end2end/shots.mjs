import { chromium } from '@playwright/test';
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
const port = 3400, base = `http://localhost:${port}`;
const env = { ...process.env, GATEHOUSE_DATABASE_URL: 'sqlite:///tmp/shots/g.db', GATEHOUSE_SECRET_KEY: crypto.randomBytes(32).toString('hex'),
  LEPTOS_SITE_ADDR: `127.0.0.1:${port}`, LEPTOS_SITE_ROOT: '/tmp/x/site', GATEHOUSE_PUBLIC_URL: base, RUST_LOG: 'warn' };
const srv = spawn('/tmp/x/gatehouse', ['serve'], { env, stdio: 'ignore' });
await new Promise(r => setTimeout(r, 2500));
const email = 'pat@example.com', PASSWORD = 'correct horse battery staple';
execFileSync('/tmp/x/gatehouse', ['user', 'create', '--org', 'platform', '--email', email, '--role', 'owner', '--name', 'Pat Passkey'], { env, input: PASSWORD + '\n' });
function totp(secret) { const s = secret.replace(/=+$/, ''); const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'; let bits = ''; for (const c of s) bits += alpha.indexOf(c).toString(2).padStart(5, '0'); const key = Buffer.from(bits.match(/.{8}/g).map(b => parseInt(b, 2))); const ctr = Buffer.alloc(8); ctr.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + 1)); const h = crypto.createHmac('sha1', key).update(ctr).digest(); const o = h[19] & 15; return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0'); }
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
for (const scheme of ['light', 'dark']) {
  const ctx = await browser.newContext({ colorScheme: scheme, viewport: scheme === 'dark' ? { width: 390, height: 900 } : { width: 1100, height: 900 } });
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } });
  const login = await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) })).json();
  let secret = null;
  if (login.mfa_token && login.status === 'enrollment_required') {
    const setup = await (await fetch(`${base}/api/v1/mfa/totp/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mfa_token: login.mfa_token }) })).json();
    secret = setup.secret;
    const c = Buffer.alloc(0);
    await fetch(`${base}/api/v1/mfa/totp/confirm`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mfa_token: login.mfa_token, code: (() => { const now = Date.now; Date.now = () => now() - 30000; const x = totp(secret); Date.now = now; return x; })() }) });
    process.env.SECRET = secret;
  }
  secret = secret ?? process.env.SECRET;
  await page.goto(`${base}/login`);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/login\/mfa/);
  await page.waitForTimeout(800);
  await page.screenshot({ path: `/tmp/shots/mfa-${scheme}.png`, fullPage: true });
  if (scheme === 'light') {
    await page.getByLabel('Authentication code', { exact: true }).fill(totp(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
  } else {
    await page.getByRole('button', { name: 'Use a passkey' }).click();
  }
  await page.waitForURL(`${base}/`);
  await page.goto(`${base}/profile`);
  await page.waitForTimeout(800);
  if (scheme === 'light') {
    await page.getByLabel('Passkey name').fill('This laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Added the passkey').waitFor();
  }
  await page.screenshot({ path: `/tmp/shots/profile-${scheme}.png`, fullPage: true });
  await ctx.close();
}
await browser.close();
srv.kill();
