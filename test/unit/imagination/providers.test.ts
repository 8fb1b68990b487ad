import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import {
  createSessions,
  defaultThreads,
  gpuDeviceVisible,
  openOnProvider,
  ortBinaryDir,
  placementFromProfile,
  shippedProviders,
  shortReason,
  type GraphPlacement,
  type ProviderEnv,
  type ProviderName,
} from '../../../main/imagination/providers';
import { StudioError } from '../../../shared/api/errors';

// The WebGPU provider runs on lavapipe (Mesa's software Vulkan driver), put in place by
// `npm run test:deps` (scripts/lavapipe.sh). Set before any WebGPU session exists in this process
// (vitest runs each file in its own forked process), so Dawn's Vulkan loader sees only lavapipe.
const LAVAPIPE_ICD = resolve('node_modules/.cache/lavapipe/lvp_icd.json');
process.env.VK_ICD_FILENAMES = LAVAPIPE_ICD;
process.env.VK_DRIVER_FILES = LAVAPIPE_ICD;

const PACK = resolve('models/packs/gwm-lite-sim-franka');

// ---------------------------------------------------------------------------------------------------
// A scripted environment: which providers fail how, and a log of what was attempted.

interface FakeSession {
  provider: ProviderName;
  graph: string;
  released: boolean;
}

function fakeEnv(script: {
  precheck?: Partial<Record<ProviderName, string>>;
  fail?: Partial<Record<ProviderName, { graph?: string; error: string }>>;
  placement?: Partial<Record<ProviderName, GraphPlacement>>;
}) {
  const log: string[] = [];
  const sessions: FakeSession[] = [];
  const threadsSeen: { intra: number; inter: number }[] = [];
  const env: ProviderEnv<FakeSession> = {
    precheck: (provider, auto) => {
      log.push(`precheck ${provider}${auto ? ' (auto)' : ''}`);
      return script.precheck?.[provider];
    },
    create: (path, provider, threads, profile) => {
      log.push(`create ${provider} ${path}${profile ? ' profiled' : ''}`);
      threadsSeen.push(threads);
      const failure = script.fail?.[provider];
      if (failure !== undefined && (failure.graph === undefined || failure.graph === path)) return Promise.reject(new Error(failure.error));
      const session = { provider, graph: path, released: false };
      sessions.push(session);
      return Promise.resolve(session);
    },
    placement: (session, provider) => {
      log.push(`placement ${provider} ${session.graph}`);
      return Promise.resolve(
        script.placement?.[provider] ?? { gpu_nodes: 10, cpu_shape_nodes: 3, cpu_compute_ops: [], gpu_time_fraction: 0.9 },
      );
    },
    release: (session) => {
      session.released = true;
      log.push(`release ${session.provider} ${session.graph}`);
      return Promise.resolve();
    },
  };
  return { env, log, sessions, threadsSeen };
}

const graphs = { encoder: 'enc.onnx', denoiser: 'den.onnx' };

const webgpuNoAdapter =
  '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n';

async function studioError(promise: Promise<unknown>): Promise<StudioError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StudioError) return error;
    throw error;
  }
  throw new Error('expected a StudioError');
}

describe('provider choice (scripted environment)', () => {
  test('auto tries CUDA, then WebGPU, then CPU, and says why each was skipped', async () => {
    const { env, log, sessions } = fakeEnv({
      precheck: { cuda: 'not installed: no libonnxruntime_providers_cuda.so' },
      fail: { webgpu: { error: webgpuNoAdapter } },
    });
    const { sessions: opened, report } = await openOnProvider(graphs, { provider: 'auto', intra_op_threads: 2, inter_op_threads: 1 }, env);
    expect(report).toEqual({
      provider: 'cpu',
      requested: 'auto',
      skipped: [
        { provider: 'cuda', reason: 'not installed: no libonnxruntime_providers_cuda.so' },
        { provider: 'webgpu', reason: 'Failed to get a WebGPU adapter: No supported adapters' },
      ],
      intra_op_threads: 2,
      inter_op_threads: 1,
    });
    expect(log).toEqual([
      'precheck cuda (auto)',
      'precheck webgpu (auto)',
      'create webgpu enc.onnx profiled',
      'precheck cpu (auto)',
      'create cpu enc.onnx',
      'create cpu den.onnx',
    ]);
    expect(opened.encoder.provider).toBe('cpu');
    expect(opened.denoiser.graph).toBe('den.onnx');
    expect(sessions.every((s) => !s.released)).toBe(true);
  });

  test('auto stops at the first provider that opens every graph, with its placement', async () => {
    const { env, log } = fakeEnv({ precheck: { cuda: 'not installed' } });
    const { report } = await openOnProvider(graphs, { provider: 'auto' }, env);
    expect(report.provider).toBe('webgpu');
    expect(report.skipped).toEqual([{ provider: 'cuda', reason: 'not installed' }]);
    expect(Object.keys(report.placement ?? {})).toEqual(['encoder', 'denoiser']);
    expect(log.some((l) => l.includes('cpu'))).toBe(false);
  });

  test('a provider that fails on a later graph releases the sessions it opened before the next is tried', async () => {
    const { env, sessions } = fakeEnv({
      precheck: { cuda: 'not installed' },
      fail: { webgpu: { graph: 'den.onnx', error: 'Could not find an implementation for SomeOp(1) node with name x' } },
    });
    const { report } = await openOnProvider(graphs, { provider: 'auto' }, env);
    expect(report.provider).toBe('cpu');
    expect(report.skipped[1]).toEqual({ provider: 'webgpu', reason: 'Could not find an implementation for SomeOp(1) node with name x' });
    expect(sessions.filter((s) => s.provider === 'webgpu').map((s) => s.released)).toEqual([true]);
    expect(sessions.filter((s) => s.provider === 'cpu').every((s) => !s.released)).toBe(true);
  });

  test('a GPU session on which no node ran on the GPU is refused (ORT would silently run it all on the CPU)', async () => {
    const { env } = fakeEnv({
      precheck: { cuda: 'not installed' },
      placement: { webgpu: { gpu_nodes: 0, cpu_shape_nodes: 4, cpu_compute_ops: ['MatMul'], gpu_time_fraction: 0 } },
    });
    const { report } = await openOnProvider(graphs, { provider: 'auto' }, env);
    expect(report.provider).toBe('cpu');
    expect(report.skipped[1]?.reason).toBe(
      'graph "encoder" opened on WebGpuExecutionProvider but none of its nodes ran there (all ran on the CPU)',
    );
  });

  test('verify_placement: false skips the probe run', async () => {
    const { env, log } = fakeEnv({});
    const { report } = await openOnProvider(graphs, { provider: 'webgpu', verify_placement: false }, env);
    expect(report.provider).toBe('webgpu');
    expect(report.placement).toBeUndefined();
    expect(log.filter((l) => l.startsWith('placement'))).toEqual([]);
  });

  test('an explicit CUDA or WebGPU that cannot run is an error naming the provider, the reason and the fix — no fallback', async () => {
    const cuda = fakeEnv({ precheck: { cuda: 'not installed: onnxruntime-node downloads its CUDA libraries only in its install script' } });
    const e1 = await studioError(openOnProvider(graphs, { provider: 'cuda' }, cuda.env));
    expect(e1.code).toBe('failed_precondition');
    expect(e1.message).toBe(
      'the CUDA execution provider cannot run the world model here: not installed: onnxruntime-node downloads its CUDA libraries only in its install script',
    );
    expect(e1.fix).toMatch(/^Use --provider cpu or auto; for CUDA install the NVIDIA driver, CUDA 12/);
    expect(cuda.log).toEqual(['precheck cuda']);

    const webgpu = fakeEnv({ fail: { webgpu: { error: webgpuNoAdapter } } });
    const e2 = await studioError(openOnProvider(graphs, { provider: 'webgpu' }, webgpu.env));
    expect(e2.message).toBe(
      'the WebGPU execution provider cannot run the world model here: Failed to get a WebGPU adapter: No supported adapters',
    );
    expect(e2.fix).toMatch(/^Use --provider cpu or auto; WebGPU needs a working Vulkan driver/);
    expect(webgpu.log.some((l) => l.includes('cpu'))).toBe(false);
  });

  test('explicit WebGPU is tried even where auto would skip it (no GPU device: software adapter)', async () => {
    const { env, log } = fakeEnv({});
    await openOnProvider(graphs, { provider: 'webgpu' }, env);
    expect(log[0]).toBe('precheck webgpu');
  });

  test('threads: every core for one graph, graphs one at a time by default; bad counts are rejected', async () => {
    const { env, threadsSeen } = fakeEnv({});
    const { report } = await openOnProvider(graphs, { provider: 'cpu' }, env);
    expect(defaultThreads().inter).toBe(1);
    expect(report.intra_op_threads).toBe(defaultThreads().intra);
    expect(report.intra_op_threads).toBeGreaterThanOrEqual(1);
    expect(threadsSeen[0]).toEqual({ intra: report.intra_op_threads, inter: 1 });
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      const e = await studioError(openOnProvider(graphs, { provider: 'cpu', intra_op_threads: bad }, env));
      expect(e.code).toBe('invalid_params');
      expect(e.message).toContain('intra_op_threads');
    }
    const e = await studioError(openOnProvider(graphs, { provider: 'gpu' as 'cpu' }, env));
    expect(e.message).toBe('unknown execution provider "gpu"');
  });

  test('the runtime’s messages are shortened to their meaning', () => {
    expect(shortReason(new Error(webgpuNoAdapter))).toBe('Failed to get a WebGPU adapter: No supported adapters');
    expect(shortReason(new Error('x'.repeat(500))).length).toBe(240);
    expect(shortReason('\u001b[1;31m/onnxruntime_src/a/b.cc:12 [ONNXRuntimeError] : 1 : FAIL : Failed to load library\u001b[m')).toBe(
      'Failed to load library',
    );
  });

  test('placement from a profile: GPU nodes, CPU shape bookkeeping and CPU compute apart', () => {
    const node = (op: string, provider: string, out: Record<string, number[]>, dur: number) => ({
      cat: 'Node',
      name: `/${op}_kernel_time`,
      dur,
      args: { op_name: op, provider, output_type_shape: [out] },
    });
    const p = placementFromProfile(
      [
        { cat: 'Session', name: 'session_initialization', dur: 1000 },
        node('MatMul', 'WebGpuExecutionProvider', { float: [8, 64, 32] }, 60),
        node('Gather', 'CPUExecutionProvider', { int64: [] }, 5),
        node('Cast', 'CPUExecutionProvider', { float: [] }, 5),
        node('Softmax', 'CPUExecutionProvider', { float: [8, 64, 64] }, 30),
        { cat: 'Node', name: '/MatMul_fence_before', dur: 1, args: { op_name: 'MatMul', provider: 'CPUExecutionProvider' } },
      ],
      'webgpu',
    );
    expect(p).toEqual({ gpu_nodes: 1, cpu_shape_nodes: 2, cpu_compute_ops: ['Softmax'], gpu_time_fraction: 0.6 });
  });
});

// ---------------------------------------------------------------------------------------------------
// The real onnxruntime-node and the reference pack's graphs.

interface TensorSpec {
  name: string;
  shape: (string | number)[];
}
interface Manifest {
  io: Record<string, { file: string; inputs: TensorSpec[]; outputs: TensorSpec[] }>;
}
const manifest = JSON.parse(readFileSync(join(PACK, 'gwm_manifest.json'), 'utf8')) as Manifest;
const packGraphs = Object.fromEntries(Object.entries(manifest.io).map(([g, spec]) => [g, join(PACK, spec.file)]));

/** Seeded inputs of the manifest's shapes: unit masks, positive sigmas, values in ±0.5. */
function feedsFor(graph: string, dims: Record<string, number>): Record<string, ort.Tensor> {
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of manifest.io[graph]?.inputs ?? []) {
    const shape = input.shape.map((d) => (typeof d === 'number' ? d : (dims[d] ?? 1)));
    const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () =>
      input.name.includes('mask') ? 1 : input.name === 'sigma' ? 0.2 + 2 * next() : next() - 0.5,
    );
    feeds[input.name] = new ort.Tensor('float32', data, shape);
  }
  return feeds;
}

describe('onnxruntime-node as installed (linux x64)', () => {
  test('ships cpu and webgpu; cuda is listed but not bundled and its library is absent (install script off)', () => {
    const shipped = shippedProviders();
    expect(shipped.get('cpu')).toBe(true);
    expect(shipped.get('webgpu')).toBe(true);
    expect(shipped.get('cuda')).toBe(false);
    const dir = ortBinaryDir();
    expect(dir).toBeDefined();
    expect(existsSync(join(dir ?? '', 'libonnxruntime_providers_cuda.so'))).toBe(false);
  });

  test('cpu: every graph of the reference pack opens and runs, with the configured threads', async () => {
    const { sessions, report } = await createSessions(packGraphs, { provider: 'cpu', intra_op_threads: 1 });
    expect(report).toEqual({ provider: 'cpu', requested: 'cpu', skipped: [], intra_op_threads: 1, inter_op_threads: 1 });
    for (const [graph, session] of Object.entries(sessions)) {
      const out = await session.run(feedsFor(graph, { B: 2, N: 64, Nq: 32, S: 3 }));
      for (const o of manifest.io[graph]?.outputs ?? []) {
        const t = out[o.name];
        expect(t, `${graph}.${o.name}`).toBeDefined();
        expect(Array.from(t?.data as Float32Array).every(Number.isFinite)).toBe(true);
      }
      await session.release();
    }
  });

  test('an explicit cuda is refused with the reason from this install, and auto says why it skipped cuda and webgpu', async () => {
    const e = await studioError(createSessions(packGraphs, { provider: 'cuda' }));
    expect(e.message).toMatch(
      /^the CUDA execution provider cannot run the world model here: not installed: onnxruntime-node 1\.30\.0 downloads its CUDA libraries \(libonnxruntime_providers_cuda\.so\) only in its install script/,
    );
    expect(e.fix).toContain('--provider cpu or auto');

    const { sessions, report } = await createSessions(packGraphs, { provider: 'auto' });
    expect(report.skipped[0]?.provider).toBe('cuda');
    expect(report.skipped[0]?.reason).toMatch(/^not installed/);
    if (gpuDeviceVisible().visible) {
      // A machine with a GPU device: auto runs on WebGPU, checked to be really there.
      expect(report.provider).toBe('webgpu');
      expect(Object.values(report.placement ?? {}).every((p) => p.gpu_nodes > 0)).toBe(true);
    } else {
      // This machine and CI: no GPU device, so the only adapter would be the software one.
      expect(report.provider).toBe('cpu');
      expect(report.skipped[1]).toEqual({
        provider: 'webgpu',
        reason: expect.stringMatching(/^no GPU device visible/) as unknown as string,
      });
    }
    for (const s of Object.values(sessions)) await s.release();
  });

  test('webgpu on lavapipe: every graph runs on the WebGPU provider (placement checked) and equals the CPU provider', async () => {
    expect(existsSync(LAVAPIPE_ICD), `${LAVAPIPE_ICD} is missing: run npm run test:deps (scripts/lavapipe.sh)`).toBe(true);
    const gpu = await createSessions(packGraphs, { provider: 'webgpu' });
    const cpu = await createSessions(packGraphs, { provider: 'cpu' });
    expect(gpu.report.provider).toBe('webgpu');
    expect(gpu.report.skipped).toEqual([]);
    for (const [graph, placement] of Object.entries(gpu.report.placement ?? {})) {
      // ORT keeps only shape bookkeeping (int64 Gather/Concat/Unsqueeze…) on the CPU; all tensor math is on WebGPU.
      expect(placement.gpu_nodes, graph).toBeGreaterThan(0);
      expect(placement.cpu_compute_ops, graph).toEqual([]);
    }
    expect(Object.keys(gpu.report.placement ?? {}).sort()).toEqual(Object.keys(packGraphs).sort());
    const dims = { B: 2, N: 128, Nq: 64, S: 3 };
    for (const graph of Object.keys(packGraphs)) {
      const feeds = feedsFor(graph, dims);
      const a = await cpu.sessions[graph]?.run(feeds);
      const b = await gpu.sessions[graph]?.run(feeds);
      for (const o of manifest.io[graph]?.outputs ?? []) {
        const x = a?.[o.name]?.data as Float32Array;
        const y = b?.[o.name]?.data as Float32Array;
        expect(y.length, `${graph}.${o.name}`).toBe(x.length);
        let maxAbs = 0;
        for (let i = 0; i < x.length; i++) maxAbs = Math.max(maxAbs, Math.abs((x[i] ?? 0) - (y[i] ?? 0)));
        expect(maxAbs, `${graph}.${o.name} max |cpu − webgpu|`).toBeLessThan(1e-4);
      }
    }
    for (const s of [...Object.values(gpu.sessions), ...Object.values(cpu.sessions)]) await s.release();
  }, 300_000);
});
