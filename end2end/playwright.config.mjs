// End-to-end tests in Debian's Chromium against the release build.
// scripts/test.sh sets GATEHOUSE_BIN and LEPTOS_SITE_ROOT; each run uses a fresh SQLite database.
import { defineConfig } from '@playwright/test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const port = process.env.GATEHOUSE_E2E_PORT ?? '3100';
// The config is loaded by every worker: create the run's folder and key once.
if (!process.env.GATEHOUSE_E2E_DIR) {
  process.env.GATEHOUSE_E2E_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-e2e-'));
  process.env.GATEHOUSE_E2E_KEY = crypto.randomBytes(32).toString('hex');
}
const repo = path.resolve(import.meta.dirname, '..');
export const serverEnv = {
  GATEHOUSE_DATABASE_URL: `sqlite://${process.env.GATEHOUSE_E2E_DIR}/gatehouse.db`,
  GATEHOUSE_SECRET_KEY: process.env.GATEHOUSE_E2E_KEY,
  LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
  LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? path.join(repo, 'target/site'),
  GATEHOUSE_LOGIN_RATE_LIMIT: '10000',
  RUST_LOG: 'warn',
};
const binary = process.env.GATEHOUSE_BIN ?? path.join(repo, 'target/release/gatehouse');

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 2,
  forbidOnly: true,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
        '--no-first-run', '--disable-component-update', '--disable-sync'],
    },
  },
  projects: [
    { name: 'chromium', testIgnore: /no-js/ },
    { name: 'no-javascript', testMatch: /no-js/, use: { javaScriptEnabled: false } },
  ],
  webServer: {
    command: `${binary} serve`,
    url: `http://127.0.0.1:${port}/login`,
    env: { ...process.env, ...serverEnv },
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
