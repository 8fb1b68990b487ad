/**
 * Imagined splats in software GL: the studio's own splat renderer (renderer/src/scene/splats) drawing
 * 8 candidates × 2,048 Gaussians × 4 steps in headless Debian Chromium (SwiftShader, no GPU), as the
 * Teleop view's small multiples and as the main scene's overlay.
 *
 *   npx tsx bench/ui/splatBench.ts [--frames 40] [--n 2048] [--k 8] [--pack DIR] [--screenshot out.png]
 *
 * The scenes are synthetic (a table sheet, a cube, a moving blob) unless `--pack DIR`: then they are
 * the ones that pack imagines from the simulated rig's cameras (bench/ui/packSplats.ts, run first in a
 * process of its own; N is the pack's).
 *
 * Prints one JSON object. Not a test: nothing here asserts on timings.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchChromium } from '../../test/support/browser';
import { build } from 'vite';
import { serve } from './serveDir';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1]! : fallback;
};
/** The pack's imagined splats written into the page's folder; returns what packSplats.ts printed. */
function packSplats(pack: string, outDir: string): { pack: string; K: number; H: number; N: number; valid: number } {
  const printed = execFileSync(
    process.execPath,
    [
      '--require',
      resolve('main/workers/sourceLoader.cjs'),
      resolve('bench/ui/packSplats.ts'),
      resolve(pack),
      join(outDir, 'splats.bin'),
      '--K',
      option('k', '8'),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(printed.trim().split('\n').at(-1)!) as { pack: string; K: number; H: number; N: number; valid: number };
}

async function main(): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), 'ui-bench-splats-'));
  const pack = option('pack', '');
  await build({
    configFile: false,
    root: resolve('bench/ui/splatPage'),
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, modulePreload: { polyfill: false } },
  });
  // After the build, which empties outDir.
  const imagined = pack !== '' ? packSplats(pack, outDir) : null;
  const { server, url } = await serve(outDir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1320, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await page.goto(
      `${url}?frames=${option('frames', '40')}&n=${imagined?.N ?? option('n', '2048')}&k=${option('k', '8')}&static=${option('static', '0')}` +
        (imagined !== null ? '&splats=splats.bin' : ''),
      { waitUntil: 'commit' },
    );
    await page.waitForFunction(() => (globalThis as unknown as { benchResult?: unknown }).benchResult !== undefined, undefined, {
      timeout: 600_000,
    });
    const result = await page.evaluate(() => (globalThis as unknown as { benchResult: unknown }).benchResult);
    const shot = option('screenshot', '');
    if (shot !== '') await page.screenshot({ path: shot });
    console.log(
      JSON.stringify({
        ...(result as object),
        ...(imagined !== null ? { pack: imagined.pack } : {}),
        errors,
        load_average: (await import('node:os')).loadavg().map((v) => Math.round(v * 10) / 10),
      }),
    );
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
