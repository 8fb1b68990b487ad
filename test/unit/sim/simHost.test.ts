import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SCENE_NAME, DEFAULT_SCENE_XML } from '../../../main/sim/sceneXml';
import { SimHost } from '../../../main/sim/simHost';
import type { SimWorkerMessage } from '../../../main/sim/workerProtocol';

const ANCHOR_NS = 5_000_000_000n;
const hosts: SimHost[] = [];
const ports: MessagePort[] = [];
afterEach(async () => {
  for (const port of ports.splice(0)) port.close();
  for (const host of hosts.splice(0)) await host.handle({ id: 0, op: 'close', args: null });
});

/** A host on a fake wall clock: `pace()` is called by hand, so the test decides when time passes. */
async function pacedHost() {
  let now_ms = 1000;
  const messages: SimWorkerMessage[] = [];
  const host = new SimHost(
    (message) => messages.push(message),
    () => now_ms,
  );
  hosts.push(host);
  await host.handle({
    id: 1,
    op: 'init',
    args: { xml: DEFAULT_SCENE_XML, file: DEFAULT_SCENE_NAME, seed: 0, control_hz: 100, pacing: 'realtime', anchor_ns: ANCHOR_NS },
  });
  host.stop(); // no timer: pace() by hand
  const states = () =>
    messages.flatMap((m) =>
      m.id === undefined && m.event === 'sim' && m.payload.type === 'state'
        ? [{ sim_time_s: m.payload.arm.sim_time_s, anchor_ns: m.anchor_ns }]
        : [],
    );
  return { host, states, wait: (ms: number) => (now_ms += ms), now: () => now_ms };
}

describe('sim host real-time pacing', () => {
  it('skips sim time it cannot keep up with once, and capture times keep tracking the wall clock', async () => {
    const { host, states, wait, now } = await pacedHost();
    const start_ms = now();
    wait(20);
    host.pace();
    // A stall of a second (a debugger, a saturated machine): one slice is simulated, the rest skipped.
    wait(1000);
    host.pace();
    expect(host.lag_s).toBeCloseTo(0.95, 2);
    // After the skip the sim keeps pace again instead of trying to make up the second.
    for (let i = 0; i < 10; i++) {
      wait(10);
      host.pace();
    }
    expect(host.lag_s).toBeCloseTo(0.95, 2);
    const last = states().at(-1)!;
    expect(last.sim_time_s).toBeCloseTo(0.17, 2);
    // capture = anchor + sim time = the wall clock's elapsed time since init, to within a state period.
    const capture_ns = last.anchor_ns + BigInt(Math.round(last.sim_time_s * 1e9));
    const elapsed_ns = BigInt(Math.round((now() - start_ms) * 1e6));
    expect(Math.abs(Number(capture_ns - ANCHOR_NS - elapsed_ns)) / 1e6).toBeLessThanOrEqual(10);
  });
});

describe('sim host attached port', () => {
  it('answers arm requests and sends state on the port; owner-only operations are refused', async () => {
    const { host, wait } = await pacedHost();
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    host.attach(port1);
    const received: SimWorkerMessage[] = [];
    const next = (accept: (message: SimWorkerMessage) => boolean) =>
      new Promise<SimWorkerMessage>((resolve) => {
        const listener = (message: SimWorkerMessage) => {
          received.push(message);
          if (!accept(message)) return;
          port2.off('message', listener);
          resolve(message);
        };
        port2.on('message', listener);
      });

    const armReply = next((m) => m.id === 7);
    port2.postMessage({ id: 7, op: 'arm', args: { kind: 'ee_delta', translation_m: [0.01, 0, 0], rotation_axis_angle_rad: [0, 0, 0] } });
    expect(await armReply).toMatchObject({ id: 7, ok: true, result: { sent: { kind: 'ee_delta' } } });

    const info = next((m) => m.id === 8);
    port2.postMessage({ id: 8, op: 'info', args: null });
    expect(await info).toMatchObject({ id: 8, ok: true, result: { timestep_s: expect.any(Number) } });

    const refused = next((m) => m.id === 9);
    port2.postMessage({ id: 9, op: 'reset', args: { seed: 1, anchor_ns: 0n } });
    expect(await refused).toMatchObject({
      id: 9,
      ok: false,
      error: { message: expect.stringMatching(/"reset" is for the simulation's owner/) },
    });

    const state = next((m) => m.id === undefined && m.event === 'sim');
    wait(20);
    host.pace();
    expect(await state).toMatchObject({ event: 'sim', payload: { type: 'state' }, anchor_ns: expect.any(BigInt) });
  });
});
