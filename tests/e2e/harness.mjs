// What every browser test needs: a presenced of its own (the real binary, --dev, on a
// free port) and Debian's chromium driven by playwright-core (no browser download).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');
export const artifacts = process.env.PRESENCED_E2E_ARTIFACTS ?? join(root, 'build', 'e2e-artifacts');

export async function startServer(extra = []) {
  const binary = process.env.PRESENCED_BINARY ?? join(root, 'build', 'presenced');
  const child = spawn(binary, ['--dev', '--listen', '127.0.0.1:0', '--rate-limit', '0', '--log-level', 'warn', ...extra],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`presenced did not start:\n${output}`)), 20_000);
    const read = (chunk) => {
      output += chunk;
      const m = output.match(/listening on [0-9.]+:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`presenced exited (${code}):\n${output}`)));
  });
  return { port, url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

export async function launchBrowser() {
  mkdirSync(artifacts, { recursive: true });
  // launch() gives the browser a fresh profile of its own.
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync',
           // Test pages are fulfilled by the test, not by a server: let them reach 127.0.0.1.
           '--disable-features=LocalNetworkAccessChecks'],
  });
}

// The demo page as `user`, on `record`.
// `beforeLoad(page)` runs before the page loads (to watch its socket from the start).
export async function demo(browser, server, user, record, { blockWebSocket = false, beforeLoad } = {}) {
  const context = await browser.newContext();
  if (blockWebSocket) {
    await context.addInitScript(() => {
      window.WebSocket = class { constructor() { throw new Error('WebSocket blocked by the test'); } };
    });
  }
  const page = await context.newPage();
  // What the browser's console says is wrong (a 404 for a missing file among it).
  page.consoleErrors = [];
  page.on('console', (message) => { if (message.type() === 'error') page.consoleErrors.push(message.text()); });
  page.on('pageerror', (error) => page.consoleErrors.push(String(error)));
  await beforeLoad?.(page);
  await page.goto(`${server.url}/?user=${user}&tenant=1&record=${record}`);
  return page;
}

export const avatar = (page, user) => page.locator(`presence-avatars .avatar[data-user-id="${user}"]`);

// The server's API as another user would use it (for rooms larger than pages can make).
export async function tokenFor(server, user, name = `User ${user}`) {
  const r = await fetch(`${server.url}/api/v1/dev/token`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user_id: user, name, tenant_id: 1 }),
  });
  return (await r.json()).data.token;
}

export async function call(server, token, method, record, action, body) {
  const r = await fetch(`${server.url}/api/v1/presence/flow/${record}/${action}`, {
    method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}
