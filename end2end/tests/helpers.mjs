// Shared steps: users made with the gatehouse CLI, TOTP codes computed here,
// and a page fixture that fails the test on any browser error.
import { test as base, expect } from '@playwright/test';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serverEnv } from '../playwright.config.mjs';

export const PASSWORD = 'correct horse battery staple';
const binary = process.env.GATEHOUSE_BIN ?? path.resolve(import.meta.dirname, '../../target/release/gatehouse');

/** The CLI steps for the server whose environment is `env` (the shared test server's by default). */
export function cliFor(env) {
  const cli = (args, input) => execFileSync(binary, args, { env: { ...process.env, ...env }, input, encoding: 'utf8' });
  return {
    /** A new organization; its slug. */
    createOrg(kind, name, parent) {
      const slug = `e2e-${crypto.randomBytes(5).toString('hex')}`;
      cli(['org', 'create', '--kind', kind, '--slug', slug, '--name', name, ...(parent ? ['--parent', parent] : [])]);
      return slug;
    },
    /** A user of `role` in the organization `slug` (with a display `name`, if given). */
    createUserIn(slug, role, name) {
      const email = `${role}-${crypto.randomBytes(5).toString('hex')}@example.com`;
      cli(['user', 'create', '--org', slug, '--email', email, '--role', role, ...(name ? ['--name', name] : [])], `${PASSWORD}\n`);
      return email;
    },
  };
}

/** A new organization; its slug. */
export const createOrg = cliFor(serverEnv).createOrg;

/** A user of `role` in the organization `slug` (with a display `name`, if given). */
export const createUserIn = cliFor(serverEnv).createUserIn;

/** A server of its own on `port` — its own SQLite database in a temporary
 * folder, its own key — for a test that needs a setting the shared server
 * must not have (`settings`: more environment variables). Resolves once
 * /login answers; `stop()` ends it and removes the folder. */
export async function startServer(port, settings = {}) {
  const baseURL = `http://127.0.0.1:${port}`;
  if (await answers(`${baseURL}/login`)) throw new Error(`port ${port} is already in use`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-own-'));
  const env = {
    ...serverEnv,
    GATEHOUSE_DATABASE_URL: `sqlite://${dir}/gatehouse.db`,
    GATEHOUSE_SECRET_KEY: crypto.randomBytes(32).toString('hex'),
    LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
    ...settings,
  };
  const child = spawn(binary, ['serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  while (!(await answers(`${baseURL}/login`))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the server on port ${port} did not start:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { baseURL, env, ...cliFor(env), stop };
}

async function answers(url) {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

/** Makes the sign-in methods of `email` look set up `days` ago, by editing
 * the run's SQLite database with Python's sqlite3 module (Python already runs
 * the HTTP tests' mail and SMS sinks), as the HTTP tests do with their own:
 * what was set up this week raises a flag on the desk. */
export function ageMfa(email, days) {
  const database = serverEnv.GATEHOUSE_DATABASE_URL.replace(/^sqlite:\/\//, '');
  const script = [
    'import sqlite3, sys',
    'db = sqlite3.connect(sys.argv[1], timeout=5)',
    'who = "(SELECT id FROM users WHERE email = ?)"',
    'db.execute("UPDATE mfa_factors SET confirmed_at = confirmed_at - ? WHERE user_id = " + who, (int(sys.argv[3]), sys.argv[2]))',
    'db.execute("UPDATE recovery_codes SET created_at = created_at - ? WHERE user_id = " + who, (int(sys.argv[3]), sys.argv[2]))',
    'db.commit()',
  ].join('\n');
  execFileSync('python3', ['-c', script, database, email, String(Math.round(days * 24 * 3600))]);
}

/** A new company with one user of `role` (owner/admin require MFA, member does not). */
export function createUser(role) {
  return createUserIn(createOrg('company', `E2E ${crypto.randomBytes(3).toString('hex')}`), role);
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
  return enrolled(request, createUser('owner'));
}

/** Gives `email` an authenticator through the JSON API (at sign-in, or signed in when MFA is optional). */
export async function enrolled(request, email) {
  const login = await (await request.post('/api/v1/auth/login', { data: { email, password: PASSWORD } })).json();
  const bearer = login.access_token ? { Authorization: `Bearer ${login.access_token}` } : {};
  const attempt = login.mfa_token ? { mfa_token: login.mfa_token } : {};
  const setup = await (await request.post('/api/v1/mfa/totp/setup', { data: attempt, headers: bearer })).json();
  const confirm = await request.post('/api/v1/mfa/totp/confirm', { data: { ...attempt, code: totp(setup.secret) }, headers: bearer });
  expect(confirm.status()).toBe(200);
  const body = await confirm.json();
  return { email, secret: setup.secret, codes: body.recovery_codes };
}

/** Password, then the authenticator's next code (the current one was used to enroll). */
export async function signInWithCode(page, { email, secret }) {
  await signIn(page, email);
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible();
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(secret, 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  // Wait for the signed-in page: navigating away earlier would abort the sign-in.
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
}

/** Password, then one of the user's recovery codes: for a second sign-in
 * within the same 30 seconds, when the authenticator's next code is used up. */
export async function signInWithRecoveryCode(page, user, index = 0) {
  await signIn(page, user.email);
  await page.getByRole('link', { name: 'Try another method' }).click();
  await page.getByRole('button', { name: 'Use a recovery code' }).click();
  await pageReady(page);
  await page.getByLabel('Recovery code', { exact: true }).fill(user.codes[index]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: /Welcome/ })).toBeVisible();
}

export async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
}

/** The newest dev-mailbox message to `to` whose subject is `subject`. */
export function mailTo(page, to, subject) {
  return page.getByRole('article').filter({ hasText: to }).filter({ hasText: subject }).first();
}

export async function signIn(page, email) {
  await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits until the page's script (js/forms.js) is in place, when JavaScript is on. */
export async function pageReady(page) {
  await page.waitForFunction(() => window.__GATEHOUSE_SCRIPTED__ === true);
}

export async function codesOnPage(page) {
  return (await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allInnerTexts()).map((c) => c.trim());
}

export async function saveCodesAndContinue(page) {
  await page.getByRole('checkbox', { name: 'I have saved my recovery codes' }).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'My profile' })).toBeVisible();
}

/** Sets up the authenticator shown on /enroll (named `name`, if given); its secret. */
export async function enrollOnPage(page, { expectCodes = true, name } = {}) {
  await expect(page).toHaveURL(/\/enroll$/);
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const secret = (await page.locator('#secret').innerText()).replace(/\s/g, '');
  await pageReady(page);
  await page.getByLabel('Authentication code', { exact: true }).fill(totp(secret));
  if (name) await page.getByLabel('Name this authenticator (optional)').fill(name);
  await page.getByRole('button', { name: 'Verify' }).click();
  const next = expectCodes ? 'Save your recovery codes' : 'My profile';
  await expect(page.getByRole('heading', { name: next })).toBeVisible();
  return secret;
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
