/**
 * Runs the Spark probe page (see README.md): builds it with Vite, serves it with the studio's CSP (or,
 * with --wasm, one that allows 'wasm-unsafe-eval'), and prints what the page logged.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import { build } from 'vite';

const wasm = process.argv.includes('--wasm');
const STUDIO_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const WASM_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; img-src 'self' data: blob:; connect-src 'self' data: blob:";

async function main(): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), 'spark-probe-'));
  await build({
    configFile: false,
    root: resolve('bench/ui/sparkProbe'),
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  const server = createServer((request, response) => {
    const path = join(outDir, new URL(request.url ?? '/', 'http://x').pathname.replace(/\/$/, '/index.html'));
    try {
      const body = readFileSync(path);
      response.writeHead(200, {
        'content-type': path.endsWith('.html') ? 'text/html' : 'text/javascript',
        'content-security-policy': wasm ? WASM_CSP : STUDIO_CSP,
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.log('page error:', error.message.slice(0, 300)));
    await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    await page.waitForFunction(() => (globalThis as unknown as { __done?: boolean }).__done === true, undefined, { timeout: 300_000 });
    console.log(await page.evaluate(() => (globalThis as unknown as { __log: string[] }).__log));
    const shot = join(tmpdir(), 'spark-probe.png');
    writeFileSync(shot, await page.screenshot());
    console.log('screenshot:', shot);
  } finally {
    await browser.close();
    server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
