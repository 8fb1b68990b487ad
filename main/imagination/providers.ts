/**
 * Execution-provider choice for the world model's ONNX sessions (onnxruntime-node).
 *
 * `auto` tries CUDA, then WebGPU, then CPU, and reports which one runs and why each earlier one was
 * skipped, with the reason taken from the attempt itself. An explicit `cuda` or `webgpu` that cannot run
 * is a StudioError naming the provider, the reason and the fix, never a silent fallback.
 *
 * What onnxruntime-node 1.30 ships on linux x64 (see docs/providers.md): `cpu` and `webgpu` (Dawn,
 * statically linked, Vulkan backend) are bundled; `cuda`/`tensorrt` need libonnxruntime_providers_*.so
 * that only its install script downloads (off in this project), so they are "not installed" unless a user
 * runs its install script with ONNXRUNTIME_NODE_INSTALL=cuda12.
 *
 * A session that opens on a GPU provider is checked to really run there: one profiled probe run per
 * graph (inputs filled from the session's metadata, symbolic dimensions = 1) gives each node's provider.
 * ORT keeps shape bookkeeping (int64 Gather/Concat/Unsqueeze on shapes) on the CPU by design; those are
 * counted apart from compute nodes. A GPU session on which no node ran on the GPU is refused.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { StudioError } from '../../shared/api/errors';

export type ProviderChoice = 'auto' | 'cuda' | 'webgpu' | 'cpu';
export type ProviderName = 'cuda' | 'webgpu' | 'cpu';
export const providerChoices: readonly ProviderChoice[] = ['auto', 'cuda', 'webgpu', 'cpu'];
/** The order `auto` tries. */
export const autoOrder: readonly ProviderName[] = ['cuda', 'webgpu', 'cpu'];

/** Where one graph's nodes ran in the probe run (GPU providers only). */
export interface GraphPlacement {
  /** Nodes the chosen GPU provider executed. */
  gpu_nodes: number;
  /** CPU nodes that only compute shapes (int64 outputs, or at most 16 elements). */
  cpu_shape_nodes: number;
  /** Op types of CPU nodes with real tensor outputs, i.e. work that did not run on the GPU. */
  cpu_compute_ops: string[];
  /** Share of the probe run's kernel time spent on the GPU provider (0..1). */
  gpu_time_fraction: number;
}

export interface ProviderReport {
  provider: ProviderName;
  requested: ProviderChoice;
  skipped: { provider: ProviderName; reason: string }[];
  intra_op_threads: number;
  inter_op_threads: number;
  /** Per graph, for a GPU provider whose placement was checked; absent on CPU. */
  placement?: Record<string, GraphPlacement>;
}

export interface ProviderOptions {
  provider: ProviderChoice;
  intra_op_threads?: number;
  inter_op_threads?: number;
  /** Check with one profiled probe run per graph that a GPU session really runs on the GPU (default true). */
  verify_placement?: boolean;
}

/** The environment the choice depends on; `nodeProviderEnv` is the real one, tests inject their own. */
export interface ProviderEnv<S> {
  /**
   * Why this provider cannot even be tried here (not in this build, its libraries absent, no GPU device
   * for `auto`), or undefined when it is worth an attempt. `auto` says whether the request came from auto.
   */
  precheck(provider: ProviderName, auto: boolean): string | undefined;
  /** Opens one session on one provider; throws what the runtime throws. */
  create(path: string, provider: ProviderName, threads: { intra: number; inter: number }, profile: boolean): Promise<S>;
  /** Runs the probe and reads where the nodes ran (only called for GPU providers with profile = true). */
  placement(session: S, provider: ProviderName): Promise<GraphPlacement>;
  release(session: S): Promise<void>;
}

const providerLabel: Record<ProviderName, string> = { cuda: 'CUDA', webgpu: 'WebGPU', cpu: 'CPU' };
const ortProviderName: Record<ProviderName, string> = {
  cuda: 'CUDAExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
  cpu: 'CPUExecutionProvider',
};

/** Defaults for a 2-core laptop: every core for one graph's operators, graphs one at a time. */
export function defaultThreads(): { intra: number; inter: number } {
  return { intra: Math.max(1, availableParallelism()), inter: 1 };
}

function threadCount(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > 1024) {
    throw new StudioError({
      code: 'invalid_params',
      message: `${name} must be a whole number from 1 to 1024, got ${String(value)}`,
      fix: `Leave ${name} out for the default (${fallback}).`,
    });
  }
  return value;
}

/** The runtime's message without source paths and C++ frames, at most `max` characters. */
export function shortReason(error: unknown, max = 240): string {
  const raw = error instanceof Error ? error.message : String(error);
  let text = raw.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '').trim();
  const adapter = /Failed to get a WebGPU adapter[^\n]*/.exec(text);
  if (adapter !== null) text = adapter[0];
  else {
    // "…/file.cc:123 onnxruntime::Foo(…) <condition> was false. <message>" → "<message>"
    const afterFalse = /was false\.\s*(.+)$/s.exec(text);
    if (afterFalse?.[1] !== undefined) text = afterFalse[1];
    text = text.replace(/\/onnxruntime_src\/\S+:\d+\s+/g, '').replace(/\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*\w+\s*:\s*/g, '');
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function fixFor(provider: ProviderName): string {
  if (provider === 'cuda') {
    return 'Use --provider cpu or auto; for CUDA install the NVIDIA driver, CUDA 12 and cuDNN 9, then fetch the CUDA libraries of onnxruntime-node (ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js); see docs/providers.md.';
  }
  if (provider === 'webgpu') {
    return 'Use --provider cpu or auto; WebGPU needs a working Vulkan driver on Linux (vulkaninfo --summary lists it), Metal on macOS, D3D12 on Windows; see docs/providers.md.';
  }
  return 'Check that onnxruntime-node is installed (npm ci) and that the pack files are readable.';
}

/**
 * Opens every graph on one provider with an injected environment. `createSessions` is this with the
 * real onnxruntime-node; tests pass a fake environment to drive the fallback deterministically.
 */
export async function openOnProvider<K extends string, S>(
  graphs: Record<K, string>,
  options: ProviderOptions,
  env: ProviderEnv<S>,
): Promise<{ sessions: Record<K, S>; report: ProviderReport }> {
  if (!providerChoices.includes(options.provider)) {
    throw new StudioError({
      code: 'invalid_params',
      message: `unknown execution provider "${String(options.provider)}"`,
      fix: `Use one of ${providerChoices.join(', ')}.`,
    });
  }
  const defaults = defaultThreads();
  const threads = {
    intra: threadCount(options.intra_op_threads, defaults.intra, 'intra_op_threads'),
    inter: threadCount(options.inter_op_threads, defaults.inter, 'inter_op_threads'),
  };
  const auto = options.provider === 'auto';
  const order: readonly ProviderName[] = auto ? autoOrder : [options.provider as ProviderName];
  const skipped: ProviderReport['skipped'] = [];
  const names = Object.keys(graphs) as K[];

  for (const provider of order) {
    const pre = env.precheck(provider, auto);
    let reason: string | undefined = pre;
    const opened: Partial<Record<K, S>> = {};
    const placement: Record<string, GraphPlacement> = {};
    if (reason === undefined) {
      const verify = provider !== 'cpu' && options.verify_placement !== false;
      try {
        for (const name of names) {
          const session = await env.create(graphs[name], provider, threads, verify);
          opened[name] = session;
          if (verify) {
            const p = await env.placement(session, provider);
            placement[name] = p;
            if (p.gpu_nodes === 0) {
              throw new Error(
                `graph "${name}" opened on ${ortProviderName[provider]} but none of its nodes ran there (all ran on the CPU)`,
              );
            }
          }
        }
        const report: ProviderReport = {
          provider,
          requested: options.provider,
          skipped,
          intra_op_threads: threads.intra,
          inter_op_threads: threads.inter,
        };
        if (verify) report.placement = placement;
        return { sessions: opened as Record<K, S>, report };
      } catch (error) {
        reason = shortReason(error);
        for (const s of Object.values(opened) as S[]) await env.release(s).catch(() => undefined);
      }
    }
    if (!auto) {
      throw new StudioError({
        code: 'failed_precondition',
        message: `the ${providerLabel[provider]} execution provider cannot run the world model here: ${reason}`,
        fix: fixFor(provider),
      });
    }
    skipped.push({ provider, reason });
  }
  // auto ends with CPU, which only fails when the runtime or the pack itself is broken.
  const why = skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ');
  throw new StudioError({
    code: 'failed_precondition',
    message: `no execution provider could open the world model (${why})`,
    fix: fixFor('cpu'),
  });
}

// ---------------------------------------------------------------------------------------------------
// The real environment: onnxruntime-node.

/** The folder holding onnxruntime-node's native libraries, or undefined if it cannot be found. */
export function ortBinaryDir(): string | undefined {
  try {
    const entry = createRequire(__filename).resolve('onnxruntime-node');
    const dir = join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Providers this onnxruntime-node build knows, and whether their libraries come in the npm package. */
export function shippedProviders(): Map<string, boolean> {
  return new Map(ort.listSupportedBackends().map((b) => [b.name, b.bundled]));
}

/** Whether a GPU device node is visible (Linux only; other systems always answer true). */
export function gpuDeviceVisible(): { visible: boolean; detail: string } {
  if (process.platform !== 'linux') return { visible: true, detail: process.platform };
  const nvidia = existsSync('/dev/nvidiactl');
  let render: string[];
  try {
    render = readdirSync('/dev/dri').filter((f) => f.startsWith('renderD'));
  } catch {
    render = [];
  }
  const found = [...(nvidia ? ['/dev/nvidiactl'] : []), ...render.map((r) => `/dev/dri/${r}`)];
  return { visible: found.length > 0, detail: found.join(', ') };
}

const cudaLibrary = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';

function realPrecheck(provider: ProviderName, auto: boolean): string | undefined {
  if (provider === 'cpu') return undefined;
  const shipped = shippedProviders();
  if (!shipped.has(provider))
    return `not shipped in this onnxruntime-node build (${process.platform}/${process.arch}; it has ${[...shipped.keys()].join(', ')})`;
  if (provider === 'cuda' && shipped.get('cuda') === false) {
    const dir = ortBinaryDir();
    if (dir !== undefined && !existsSync(join(dir, cudaLibrary))) {
      return `not installed: onnxruntime-node ${ort.env.versions.node ?? ''} downloads its CUDA libraries (${cudaLibrary}) only in its install script, which is off here`;
    }
  }
  if (provider === 'webgpu' && auto) {
    const gpu = gpuDeviceVisible();
    if (!gpu.visible) {
      return 'no GPU device visible (no /dev/dri/renderD* or /dev/nvidiactl): any WebGPU adapter here would be a software Vulkan driver (e.g. lavapipe), slower than the CPU provider; ask for --provider webgpu to use it anyway';
    }
  }
  return undefined;
}

const probeDirs = new WeakMap<ort.InferenceSession, string>();

async function realCreate(
  path: string,
  provider: ProviderName,
  threads: { intra: number; inter: number },
  profile: boolean,
): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    intraOpNumThreads: threads.intra,
    interOpNumThreads: threads.inter,
    executionMode: threads.inter > 1 ? 'parallel' : 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  let profileDir: string | undefined;
  if (profile) {
    profileDir = mkdtempSync(join(tmpdir(), 'studio-ort-profile-'));
    options.enableProfiling = true;
    options.profileFilePrefix = join(profileDir, 'probe');
  }
  try {
    const session = await ort.InferenceSession.create(path, options);
    if (profileDir !== undefined) probeDirs.set(session, profileDir);
    return session;
  } catch (error) {
    if (profileDir !== undefined) rmSync(profileDir, { recursive: true, force: true });
    throw error;
  }
}

type ProbeTensorType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool';

function probeTensor(type: string, shape: readonly (number | string)[]): ort.Tensor {
  const dims = shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  const size = dims.reduce((a, b) => a * b, 1);
  switch (type as ProbeTensorType) {
    case 'float32':
      return new ort.Tensor('float32', new Float32Array(size).fill(0.5), dims);
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(size), dims);
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(size), dims);
    case 'bool':
      return new ort.Tensor('bool', new Uint8Array(size), dims);
    default:
      throw new Error(`cannot build a probe input of type ${type}`);
  }
}

interface ProfileEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string; provider?: string; output_type_shape?: Record<string, number[]>[] };
}

/** Where the nodes of one profiled run went; exported for tests on a recorded profile. */
export function placementFromProfile(events: readonly ProfileEvent[], provider: ProviderName): GraphPlacement {
  const gpuName = ortProviderName[provider];
  let gpu_nodes = 0;
  let cpu_shape_nodes = 0;
  let gpuTime = 0;
  let allTime = 0;
  const cpu_compute_ops = new Set<string>();
  for (const e of events) {
    if (e.cat !== 'Node' || e.name?.endsWith('_kernel_time') !== true || e.args === undefined) continue;
    const dur = e.dur ?? 0;
    allTime += dur;
    if (e.args.provider === gpuName) {
      gpu_nodes += 1;
      gpuTime += dur;
      continue;
    }
    const outputs = e.args.output_type_shape ?? [];
    const shapeOnly = outputs.every((o) =>
      Object.entries(o).every(([type, shape]) => type === 'int64' || shape.reduce((a, b) => a * b, 1) <= 16),
    );
    if (shapeOnly) cpu_shape_nodes += 1;
    else cpu_compute_ops.add(e.args.op_name ?? '?');
  }
  return {
    gpu_nodes,
    cpu_shape_nodes,
    cpu_compute_ops: [...cpu_compute_ops].sort(),
    gpu_time_fraction: allTime > 0 ? gpuTime / allTime : 0,
  };
}

async function realPlacement(session: ort.InferenceSession, provider: ProviderName): Promise<GraphPlacement> {
  const dir = probeDirs.get(session);
  if (dir === undefined) throw new Error('the session was not opened for a placement probe');
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of session.inputMetadata) {
      if (!input.isTensor) throw new Error(`input ${input.name} is not a tensor`);
      feeds[input.name] = probeTensor(input.type, input.shape);
    }
    await session.run(feeds);
    session.endProfiling();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (file === undefined) throw new Error('onnxruntime wrote no profile for the probe run');
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[];
    return placementFromProfile(events, provider);
  } finally {
    probeDirs.delete(session);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The real environment: onnxruntime-node as installed. */
export const nodeProviderEnv: ProviderEnv<ort.InferenceSession> = {
  precheck: realPrecheck,
  create: realCreate,
  placement: realPlacement,
  release: (session) => session.release(),
};

/** Creates one InferenceSession per graph (name → file path), all on one provider. */
export async function createSessions<K extends string>(
  graphs: Record<K, string>,
  options: ProviderOptions,
): Promise<{ sessions: Record<K, ort.InferenceSession>; report: ProviderReport }> {
  return openOnProvider(graphs, options, nodeProviderEnv);
}
