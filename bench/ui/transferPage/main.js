/* global location, window */
/**
 * Browser side of the splat transfer bench (bench/ui/splatTransfer.ts): one candidate's imagined
 * Gaussians fetched and decoded as the Teleop view does, over a loopback WebSocket, two ways:
 *   binary — the studio's own client (shared/api/wsTransport.ts: one `rpc.result` binary frame) and
 *            decoder (decodeSplats: float32 viewed in place);
 *   base64 — the encoding before this change (JSON-RPC text with base64 strings), decoded as the
 *            renderer did then (atob, a byte loop, then a DataView float loop).
 * Requests alternate between the two so load drifts hit both alike. A sample is request sent → a
 * decoded SplatSequence. Plain JS: the bench folder is type-checked as Node code, and this runs in a page.
 */
import { createWsTransport } from '../../../shared/api/wsTransport';
import { decodeSplats, makeSequence, SPLAT_FIELDS } from '../../../renderer/src/scene/splats/splatData';

const params = new URLSearchParams(location.search);
const ROUNDS = Number(params.get('rounds') ?? 30);

/** The decoder the renderer used with base64 answers (renderer/src/scene/splats/splatData.ts before db84aec). */
function floatsOfBase64(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

function decodeBase64(answer) {
  if (answer.fields !== SPLAT_FIELDS) throw new Error('fields');
  const data = floatsOfBase64(answer.gaussians_base64);
  const mask = floatsOfBase64(answer.mask_base64);
  return makeSequence(answer.H, answer.N, data, mask);
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const p95 = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))];
};

async function main() {
  const transport = createWsTransport({ url: params.get('ws'), createSocket: (url) => new WebSocket(url) });
  const times = { binary: [], base64: [] };
  const decodeOnly = { binary: [], base64: [] };
  let checksum = { binary: 0, base64: 0 };
  for (let round = 0; round < ROUNDS + 2; round++) {
    for (const encoding of round % 2 === 0 ? ['binary', 'base64'] : ['base64', 'binary']) {
      const started = performance.now();
      const outcome = await transport.request('bench.splats', { encoding });
      if (!outcome.ok) throw new Error(outcome.error.message);
      const received = performance.now();
      const sequence = encoding === 'binary' ? decodeSplats(outcome.result) : decodeBase64(outcome.result);
      const done = performance.now();
      // The first two rounds warm the JIT and the socket; they are not counted.
      if (round >= 2) {
        times[encoding].push(done - started);
        decodeOnly[encoding].push(done - received);
      }
      checksum[encoding] = sequence.data[sequence.data.length - 1] + sequence.valid.length;
    }
  }
  transport.close();
  window.benchResult = {
    rounds: ROUNDS,
    fetch_and_decode_ms: {
      binary: { median: median(times.binary), p95: p95(times.binary) },
      base64: { median: median(times.base64), p95: p95(times.base64) },
    },
    decode_ms: { binary: median(decodeOnly.binary), base64: median(decodeOnly.base64) },
    same_result: checksum.binary === checksum.base64,
  };
}

main().catch((error) => {
  window.benchResult = { error: String(error && error.stack ? error.stack : error) };
});
