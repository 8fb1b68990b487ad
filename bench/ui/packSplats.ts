/**
 * A pack's own imagined splats for the splat bench (splatBench.ts --pack DIR runs this): the
 * imagination worker opens the pack, observes the lifting fixture's RGB-D frames (the simulated rig's
 * cameras), imagines K candidates from the pack's policy H chunks ahead and decodes them, as a preview
 * does. Writes OUT: K·H·N·14 float32 (little-endian, the order `foresight.splats` sends) followed by the
 * N-float observed mask, and prints {K, H, N, valid} as JSON.
 *   node --require ./main/workers/sourceLoader.cjs bench/ui/packSplats.ts PACK OUT [--K 8] [--H 4]
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ImaginationClient } from '../../main/imagination/worker/imaginationClient';
import { liftingObservation } from '../imagination/liftingObservation';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { K: { type: 'string', default: '8' }, H: { type: 'string', default: '4' } },
});
const [packArg, outArg] = positionals;
if (packArg === undefined || outArg === undefined) throw new Error('usage: packSplats.ts PACK OUT [--K 8] [--H 4]');
const pack = resolve(packArg);
const out = resolve(outArg);
const K = Number(values.K);
const H = Number(values.H);

async function main(): Promise<void> {
  const client = new ImaginationClient();
  try {
    const info = await client.open(pack, { provider: 'cpu' });
    await client.observe(liftingObservation(pack, 0));
    const imagined = await client.imagine({ K, H, seed: 0, decode: true, candidates: { policy: { seed: 0 } } });
    if (imagined.gaussians === null) throw new Error('the pack returned no decoded Gaussians');
    const mask = imagined.observed_mask;
    writeFileSync(
      out,
      Buffer.concat([
        Buffer.from(imagined.gaussians.buffer, imagined.gaussians.byteOffset, imagined.gaussians.byteLength),
        Buffer.from(mask.buffer, mask.byteOffset, mask.byteLength),
      ]),
    );
    console.log(JSON.stringify({ pack: info.model_name, K, H, N: mask.length, valid: mask.filter((m) => m > 0.5).length }));
  } finally {
    await client.close();
  }
}

void main();
