/**
 * One candidate's imagined Gaussians (H = 4 steps × N = 2,048 × 14 float32 = 458,752 bytes, plus the
 * N-float mask) from the core to the page over WebSocket: as one binary `rpc.result` frame (the studio
 * now) against base64 in JSON-RPC text (the studio before), fetched and decoded in headless Debian
 * Chromium. The server side is the studio's own framing (shared/api/binaryResult.ts, as
 * main/web/wsConnection.ts sends it) and, for base64, what the foresight.splats handler sent before.
 *
 *   npx tsx bench/ui/splatTransfer.ts [--rounds 30] [--h 4] [--n 2048]
 *
 * Prints one JSON object: bytes on the wire, server encode medians, page fetch+decode medians. Not a test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchChromium } from '../../test/support/browser';
import { build } from 'vite';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeBinaryResult, hasBytes } from '../../shared/api/binaryResult';
import { serve } from './serveDir';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1]! : fallback;
};
const ROUNDS = Number(option('rounds', '30'));
const H = Number(option('h', '4'));
const N = Number(option('n', '2048'));
/** Plausible splats (finite, deterministic): positions in a 1 m box, small scales, unit quaternions, colours, opacity. */
function splats(): { gaussians: Float32Array; mask: Float32Array } {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const gaussians = new Float32Array(H * N * 14);
  for (let i = 0; i < H * N; i++) {
    const g = gaussians.subarray(i * 14, (i + 1) * 14);
    g.set([
      random() - 0.5,
      random() - 0.5,
      random(),
      0.01 + 0.02 * random(),
      0.01 + 0.02 * random(),
      0.01 + 0.02 * random(),
      1,
      0,
      0,
      0,
      random(),
      random(),
      random(),
      random(),
    ]);
  }
  return { gaussians, mask: Float32Array.from({ length: N }, (_, i) => (i % 17 === 0 ? 0 : 1)) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const { gaussians, mask } = splats();
  const bytes = (array: Float32Array) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  const encodeMs = { binary: [] as number[], base64: [] as number[] };
  const wire = { binary: 0, base64: 0 };
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data) => {
      const request = JSON.parse(data.toString()) as { id: number; params: { encoding: 'binary' | 'base64' } };
      const started = performance.now();
      if (request.params.encoding === 'binary') {
        const result = { H, N, fields: 14, gaussians: bytes(gaussians), mask: bytes(mask) };
        // As main/web/wsConnection.ts: look for bytes, then frame the whole response.
        const frame = hasBytes(result) ? encodeBinaryResult(request.id, result) : new Uint8Array(0);
        encodeMs.binary.push(performance.now() - started);
        wire.binary = frame.byteLength;
        ws.send(frame, { binary: true });
      } else {
        // As the foresight.splats handler and the WebSocket connection did before (base64 in JSON-RPC text).
        const base64 = (array: Float32Array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
        const text = JSON.stringify({
          jsonrpc: '2.0',
          id: request.id,
          result: { H, N, fields: 14, gaussians_base64: base64(gaussians), mask_base64: base64(mask) },
        });
        encodeMs.base64.push(performance.now() - started);
        wire.base64 = Buffer.byteLength(text);
        ws.send(text);
      }
    });
  });
  await new Promise<void>((done) => wss.once('listening', () => done()));
  const wsPort = (wss.address() as { port: number }).port;

  const outDir = mkdtempSync(join(tmpdir(), 'ui-bench-transfer-'));
  await build({
    configFile: false,
    root: resolve('bench/ui/transferPage'),
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, modulePreload: { polyfill: false } },
  });
  const { server, url } = await serve(outDir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await page.goto(`${url}?rounds=${ROUNDS}&ws=${encodeURIComponent(`ws://127.0.0.1:${wsPort}/`)}`, { waitUntil: 'commit' });
    await page.waitForFunction(() => (globalThis as unknown as { benchResult?: unknown }).benchResult !== undefined, undefined, {
      timeout: 600_000,
    });
    const result = await page.evaluate(() => (globalThis as unknown as { benchResult: unknown }).benchResult);
    console.log(
      JSON.stringify({
        H,
        N,
        float32_bytes: gaussians.byteLength + mask.byteLength,
        wire_bytes: wire,
        server_encode_ms: { binary: median(encodeMs.binary), base64: median(encodeMs.base64) },
        page: result,
        errors,
        load_average: loadavg().map((v) => Math.round(v * 10) / 10),
      }),
    );
  } finally {
    await browser.close();
    server.close();
    wss.close();
    rmSync(outDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
