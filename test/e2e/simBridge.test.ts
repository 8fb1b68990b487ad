import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';

/**
 * The built `studio sim bridge` (MuJoCo-backed deoxys NUC) and the built `studio arm probe`, as two
 * processes talking ZeroMQ over loopback, exactly as a user runs them. Needs `npm run build`.
 */
const STUDIO = resolve('bin/studio.js');

interface Listening {
  event: 'listening';
  backend: string;
  host: string;
  port_base: number;
  ports: { SUB_PORT: number; PUB_PORT: number; GRIPPER_SUB_PORT: number; GRIPPER_PUB_PORT: number };
  seed: number;
}

interface RunningBridge {
  child: ChildProcess;
  listening: Listening;
  stdout(): string;
  stderr(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Resolves when the bridge prints its `listening` line; rejects with its stderr if it exits first. */
function startBridge(args: readonly string[]): Promise<RunningBridge> {
  const child = spawn(process.execPath, [STUDIO, 'sim', 'bridge', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return new Promise((resolvePromise, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((text) => text.includes('"listening"'));
      if (line === undefined) return;
      resolvePromise({
        child,
        listening: JSON.parse(line) as Listening,
        stdout: () => stdout,
        stderr: () => stderr,
        stop: (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
    void exited.then((code) =>
      reject(Object.assign(new Error(`studio sim bridge exited (${code}) before listening:\n${stderr}`), { stderr, code })),
    );
  });
}

function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [STUDIO, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.once('exit', (code) => done({ code, stdout, stderr })));
}

/** A random port base in 20000–40000 (multiple of 4); another one when the first is taken. */
async function startBridgeOnFreePorts(extra: readonly string[] = []): Promise<RunningBridge> {
  for (let attempt = 0; ; attempt++) {
    const base = 20_000 + 4 * Math.floor(Math.random() * 5000);
    try {
      return await startBridge(['--port-base', String(base), ...extra]);
    } catch (error) {
      if (attempt >= 5 || !/already in use/.test((error as { stderr?: string }).stderr ?? '')) throw error;
    }
  }
}

const running: RunningBridge[] = [];
afterEach(async () => {
  for (const bridge of running.splice(0)) await bridge.stop('SIGKILL');
});

describe('studio sim bridge (built) ↔ studio arm probe (built)', () => {
  test('the bridge prints its ports, the probe reads physics state at ~100 Hz, SIGTERM shuts it down cleanly', async () => {
    const bridge = await startBridgeOnFreePorts(['--seed', '3']);
    running.push(bridge);
    const { listening } = bridge;
    const base = listening.port_base;
    expect(listening.backend).toBe('mujoco');
    expect(listening.host).toBe('127.0.0.1');
    expect(listening.seed).toBe(3);
    // deoxys order: arm commands at the base, then arm state, gripper commands, gripper state.
    expect(listening.ports).toEqual({ SUB_PORT: base, PUB_PORT: base + 1, GRIPPER_SUB_PORT: base + 2, GRIPPER_PUB_PORT: base + 3 });

    const probe = await run([
      'arm',
      'probe',
      '--driver',
      'deoxys',
      '--nuc',
      '127.0.0.1',
      '--port-base',
      String(base),
      '--duration-ms',
      '1000',
      '--json',
    ]);
    expect(probe.stderr).toBe('');
    expect(probe.code).toBe(0);
    const result = JSON.parse(probe.stdout.trim()) as {
      q: number[];
      O_T_EE: number[];
      state_hz: number;
      samples: number;
      robot_mode: number;
      decode_errors: number;
      frame: string;
    };
    expect(result.q).toHaveLength(7);
    // The MuJoCo Franka at its home pose: TCP at (0.307, 0, 0.487) m, pointing down.
    expect(result.O_T_EE[12]).toBeCloseTo(0.307, 2);
    expect(result.O_T_EE[14]).toBeCloseTo(0.487, 2);
    expect(result.O_T_EE[10]).toBeCloseTo(-1, 3);
    expect(result.robot_mode).toBe(1);
    expect(result.decode_errors).toBe(0);
    console.info(`probe against the built bridge: ${result.state_hz} Hz over ${result.samples} states`);
    // Measured by the probe over a second; loose, the machine is shared.
    expect(result.state_hz).toBeGreaterThan(20);
    expect(result.state_hz).toBeLessThan(120);

    // A second bridge on the same ports fails with the port and the flag that fixes it.
    const clash = await run(['sim', 'bridge', '--port-base', String(base)]);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(new RegExp(`cannot bind port ${base + 1} on 127\\.0\\.0\\.1: it is already in use`));
    expect(clash.stderr).toMatch(/--port-base/);

    expect(await bridge.stop('SIGTERM')).toBe(0);
    const stopped = bridge
      .stdout()
      .split('\n')
      .find((line) => line.includes('"stopped"'));
    expect(stopped).toBeDefined();
    expect((JSON.parse(stopped ?? '{}') as { sim_time_s: number }).sim_time_s).toBeGreaterThan(0.5);
    running.splice(0);
    // Unbound: the same ports serve a new bridge at once.
    const again = await startBridge(['--port-base', String(base)]);
    running.push(again);
    expect(again.listening.port_base).toBe(base);
    expect(await again.stop('SIGINT')).toBe(0);
  });

  test('usage errors name the flag', async () => {
    const wrong = await run(['sim', 'bridge', '--port-base', '70000']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--port-base must be an integer from 1 to 65532/);
    const expertFlag = await run(['sim', 'bridge', '--episodes', '3']);
    expect(expertFlag.code).toBe(2);
    expect(expertFlag.stderr).toMatch(/--episodes does not apply to `sim bridge`/);
  });
});
