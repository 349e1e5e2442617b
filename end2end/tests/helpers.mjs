// Shared steps: users made with the gatehouse CLI, TOTP codes computed here,
// and a page fixture that fails the test on any browser error.
import { test as base, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { serverEnv } from '../playwright.config.mjs';

export const PASSWORD = 'correct horse battery staple';
const binary = process.env.GATEHOUSE_BIN ?? path.resolve(import.meta.dirname, '../../target/release/gatehouse');

function cli(args, input) {
  return execFileSync(binary, args, { env: { ...process.env, ...serverEnv }, input, encoding: 'utf8' });
}

/** A new company with one user of `role` (owner/admin require MFA, member does not). */
export function createUser(role) {
  const id = crypto.randomBytes(5).toString('hex');
  cli(['org', 'create', '--kind', 'company', '--slug', `e2e-${id}`, '--name', `E2E ${id}`]);
  const email = `${role}-${id}@example.com`;
  cli(['user', 'create', '--org', `e2e-${id}`, '--email', email, '--role', role], `${PASSWORD}\n`);
  return email;
}

export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s); `offset` in steps. */
export function totp(secretBase32, offset = 0) {
  const counter = Math.floor(Date.now() / 1000 / 30) + offset;
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const hmac = crypto.createHmac('sha1', base32Decode(secretBase32)).update(message).digest();
  const start = hmac[hmac.length - 1] & 0xf;
  return String((hmac.readUInt32BE(start) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** A 6-digit code that is valid in none of the accepted time steps. */
export function wrongCode(secretBase32) {
  const valid = [-1, 0, 1, 2].map((offset) => totp(secretBase32, offset));
  return ['000000', '111111', '222222', '333333', '444444'].find((c) => !valid.includes(c));
}

/** Enrolls a new owner through the JSON API; the browser then signs in with the next step's code. */
export async function enrolledUser(request) {
  const email = createUser('owner');
  const login = await (await request.post('/api/v1/auth/login', { data: { email, password: PASSWORD } })).json();
  const setup = await (await request.post('/api/v1/mfa/totp/setup', { data: { mfa_token: login.mfa_token } })).json();
  const confirm = await request.post('/api/v1/mfa/totp/confirm', { data: { mfa_token: login.mfa_token, code: totp(setup.secret) } });
  expect(confirm.status()).toBe(200);
  const body = await confirm.json();
  return { email, secret: setup.secret, codes: body.recovery_codes };
}

export async function signIn(page, email) {
  await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits until the WASM bundle has hydrated the page, when JavaScript is on. */
export async function hydrated(page) {
  await page.waitForFunction(() => window.__GATEHOUSE_HYDRATED__ === true);
}

export const test = base.extend({
  page: async ({ page }, use) => {
    const problems = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      // A refused code or password answers 4xx, which Chromium logs; anything else is a fault.
      const expected = /status of 4\d\d/.test(m.text()) && m.location().url.includes('/sfn/');
      if (m.type() === 'error' && !expected) problems.push(`console: ${m.text()} (${m.location().url})`);
    });
    await use(page);
    expect(problems, 'the browser reported errors').toEqual([]);
  },
});
export { expect };
