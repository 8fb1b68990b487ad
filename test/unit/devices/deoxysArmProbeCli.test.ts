import { afterEach, describe, expect, test } from 'vitest';
import { runCli } from '../../../main/cli/program';
import { findFreePortBase } from '../../../main/devices/deoxys/ports';
import { KinematicFrankaBackend } from '../../../main/devices/deoxys/simBackend';
import { DeoxysSimServer } from '../../../main/devices/deoxys/simServer';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (text) => (out += text), err: (text) => (err += text) });
  return { code, out, err };
}

let server: DeoxysSimServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('studio arm probe --driver deoxys', () => {
  test('prints one JSON line with q, O_T_EE and the measured state rate from the simulated NUC', async () => {
    const port_base = await findFreePortBase();
    const backend = new KinematicFrankaBackend();
    server = new DeoxysSimServer({ backend, port_base });
    const published: number[] = [];
    server.on('state_published', (frame) => published.push(frame));
    await server.start();
    const { code, out, err } = await run(
      'arm',
      'probe',
      '--driver',
      'deoxys',
      '--nuc',
      '127.0.0.1',
      '--port-base',
      String(port_base),
      '--duration-ms',
      '300',
      '--json',
    );
    const publishedByThen = published.length;
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0] ?? '{}') as {
      q: number[];
      O_T_EE: number[];
      frame: string;
      state_hz: number;
      samples: number;
      decode_errors: number;
    };
    // The values the simulated NUC published: its arm at rest.
    const arm = backend.state().arm;
    expect(result.q).toEqual(arm.q_rad);
    expect(result.O_T_EE).toEqual(arm.base_from_ee);
    expect(result.O_T_EE[12]).toBeCloseTo(0.307, 3);
    expect(result.O_T_EE[14]).toBeCloseTo(0.487, 3);
    // Counted against the server's own publish events, not the wall clock: the probe saw some of
    // the states published so far (no more), and the newest it reports is one of them.
    expect(result.samples).toBeGreaterThanOrEqual(1);
    expect(result.samples).toBeLessThanOrEqual(publishedByThen);
    expect(published.slice(0, publishedByThen)).toContain(Number(result.frame));
    // The rate is reported from the arrival times (the loaded-machine figure is not a test: the state
    // rate is measured by bench/devices/deoxysRoundTrip.ts).
    expect(Number.isFinite(result.state_hz) && result.state_hz >= 0).toBe(true);
    expect(result.decode_errors).toBe(0);
  });

  test('no NUC: exit 1 with what to check', async () => {
    const port_base = await findFreePortBase();
    const { code, err } = await run(
      'arm',
      'probe',
      '--driver',
      'deoxys',
      '--nuc',
      '127.0.0.1',
      '--port-base',
      String(port_base),
      '--timeout-ms',
      '200',
    );
    expect(code).toBe(1);
    expect(err).toMatch(/no robot state from tcp:\/\/127\.0\.0\.1:\d+ within 200 ms/);
    expect(err).toMatch(/Fix: .*franka-interface/);
  });

  test('usage errors exit 2', async () => {
    expect((await run('arm', 'probe', '--nuc', 'x')).code).toBe(2);
    expect((await run('arm', 'probe', '--driver', 'deoxys')).err).toMatch(/--nuc HOST is required/);
    expect((await run('arm', 'wiggle', '--driver', 'deoxys', '--nuc', 'x')).err).toMatch(/only action is `probe`/);
    expect((await run('arm', 'probe', '--driver', 'deoxys', '--nuc', 'x', '--port-base', '70000')).code).toBe(2);
  });
});
