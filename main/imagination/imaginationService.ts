import type * as ort from 'onnxruntime-node';
import { StudioError } from '../../shared/api/errors';
import { ImaginationEngine, type Cancellation, type ImagineResult, type Sessions } from './engine';
import { lift } from './lifting';
import { liftingFrames, tcpOf, type Observation } from './observation';
import { assertGraphsMatch, type GraphSignature } from './pack/graphCheck';
import type { GraphName } from './pack/manifest';
import { readPack, type PackOnDisk } from './pack/packFiles';
import { createSessions, type ProviderOptions, type ProviderReport } from './providers';

/** What the studio shows about a loaded pack (and stores with every foresight run). */
export interface PackInfo {
  dir: string;
  model_name: string;
  model_version: string;
  manifest_sha256: string;
  provider: ProviderReport;
  has_policy: boolean;
  chunk_length: number;
  action_names: string[];
  control_hz: number;
  max_horizon: number;
  /**
   * Chunks the success head was trained to look ahead (the manifest's success.horizon). Estimates over a
   * shorter imagined horizon see the scene held still after it, as at an episode's end, and read low.
   */
  success_horizon: number;
  success_threshold: number;
  /** The pack's test AUROC (the caveat shown beside its success estimates), null if not measured. */
  test_auroc: number | null;
  cameras: string[];
  num_gaussians: number;
  open_ms: number;
}

export interface ObservedState {
  t_ns: bigint;
  /** Gaussians the lifting kept (≤ the pack's N). */
  gaussians: number;
  lift_ms: number;
  encode_ms: number;
}

export interface Imagined extends ImagineResult {
  /** The observation the futures start from. */
  observation_t_ns: bigint;
  /** Its latent (M·D): with `latents`, enough to decode any candidate later (`decode`). */
  observed_latent: Float32Array;
  /** Its Gaussians (N·14) and mask, drawn as "now". */
  observed_gaussians: Float32Array;
  observed_mask: Float32Array;
  /** Request to result, in this thread (lifting and encoding happened at `observe`). */
  latency_ms: number;
}

export type CandidateSpec = { actions: Float32Array } | { policy: { seed: number; temperature?: number } };

interface Encoded {
  t_ns: bigint;
  latent: Float32Array;
  gaussians: Float32Array;
  mask: Float32Array;
  proprio: readonly number[];
}

function signature(session: ort.InferenceSession): GraphSignature {
  return { inputs: session.inputMetadata, outputs: session.outputMetadata };
}

/**
 * A world-model pack, opened once (hashes, graphs checked against the manifest, sessions on the chosen
 * execution provider), fed observations as they come (lifted and encoded at once, a short history kept
 * for the dynamics' context) and asked to imagine candidate futures from the latest one.
 */
export class ImaginationService {
  private readonly history: Encoded[] = [];

  private constructor(
    readonly pack: PackOnDisk,
    readonly engine: ImaginationEngine,
    readonly info: PackInfo,
  ) {}

  static async open(dir: string, provider: ProviderOptions): Promise<ImaginationService> {
    const started = performance.now();
    const pack = readPack(dir);
    const graphs = Object.fromEntries(Object.entries(pack.graphs)) as Record<GraphName, string>;
    const { sessions, report } = await createSessions(graphs, provider);
    assertGraphsMatch(
      pack.manifest,
      pack.dir,
      Object.fromEntries(
        Object.entries(sessions).map(([graph, session]) => [graph, signature(session as ort.InferenceSession)]),
      ) as Partial<Record<GraphName, GraphSignature>>,
    );
    const engine = new ImaginationEngine(pack.manifest, sessions as Sessions);
    const m = pack.manifest;
    return new ImaginationService(pack, engine, {
      dir: pack.dir,
      model_name: m.model_name,
      model_version: m.model_version,
      manifest_sha256: pack.manifest_sha256,
      provider: report,
      has_policy: engine.hasPolicy,
      chunk_length: m.actions.chunk_length,
      action_names: m.actions.names,
      control_hz: m.actions.control_hz,
      max_horizon: m.dynamics.max_recommended_horizon,
      success_horizon: m.success.horizon,
      success_threshold: m.success.threshold,
      test_auroc: m.evaluation.auroc,
      cameras: m.lifting_cameras,
      num_gaussians: m.lifting.num_gaussians,
      open_ms: performance.now() - started,
    });
  }

  /** Lifts and encodes an observation and keeps it as the newest (observations must come in time order). */
  async observe(observation: Observation): Promise<ObservedState> {
    const m = this.pack.manifest;
    const newest = this.history.at(-1);
    if (newest !== undefined && observation.t_ns < newest.t_ns) this.history.length = 0; // a new episode: time restarted
    const liftStarted = performance.now();
    const lifted = lift(liftingFrames(m, observation.frames), tcpOf(m, observation.proprio), m.lifting);
    const lift_ms = performance.now() - liftStarted;
    const timings: Partial<Record<GraphName, number>> = {};
    const latent = await this.engine.encode(lifted.gaussians, lifted.mask, 1, timings);
    this.history.push({
      t_ns: observation.t_ns,
      latent,
      gaussians: lifted.gaussians,
      mask: lifted.mask,
      proprio: [...observation.proprio],
    });
    // Keep what the context can reach: T world-model steps back, plus a margin.
    const reach_ns = BigInt(Math.round((m.dynamics.context_frames + 1) * m.actions.dt_per_wm_step_s * 1e9));
    while (this.history.length > 1 && (this.history[0]?.t_ns ?? 0n) < observation.t_ns - reach_ns) this.history.shift();
    return { t_ns: observation.t_ns, gaussians: lifted.count, lift_ms, encode_ms: timings.encoder ?? 0 };
  }

  /** An observation's Gaussians as the pack lifts them (N·14, mask N), without keeping it as the newest. */
  liftOnly(observation: Observation): { gaussians: Float32Array; mask: Float32Array } {
    const m = this.pack.manifest;
    const lifted = lift(liftingFrames(m, observation.frames), tcpOf(m, observation.proprio), m.lifting);
    return { gaussians: lifted.gaussians, mask: lifted.mask };
  }

  /** Decodes imagined latents (B·M·D) from an observation's latent and Gaussians: B·N·14. */
  decode(now: Float32Array, latents: Float32Array, observed: Float32Array): Promise<Float32Array> {
    return this.engine.decode(now, latents, observed);
  }

  /** Forgets the history (a new episode, a reset scene). */
  reset(): void {
    this.history.length = 0;
  }

  /**
   * Context latents for the newest observation, oldest → newest, one world-model step apart: for each
   * slot the kept observation nearest that time (at an episode's start, the newest repeats, as the
   * trainer's context does before the first chunk).
   */
  private context(): { newest: Encoded; context: Float32Array } {
    const newest = this.history.at(-1);
    if (newest === undefined)
      throw new StudioError({
        code: 'failed_precondition',
        message: 'nothing observed yet: imagination starts from an observation',
        fix: 'Start the rig (its cameras feed the world model) before asking for a preview.',
      });
    const m = this.pack.manifest;
    const T = m.dynamics.context_frames;
    const frame = m.latent.M * m.latent.D;
    const step_ns = m.actions.dt_per_wm_step_s * 1e9;
    const context = new Float32Array(T * frame);
    for (let j = 0; j < T; j++) {
      const target = Number(newest.t_ns) - (T - 1 - j) * step_ns;
      let best = newest;
      for (const e of this.history) if (Math.abs(Number(e.t_ns) - target) < Math.abs(Number(best.t_ns) - target)) best = e;
      context.set(best.latent, j * frame);
    }
    return { newest, context };
  }

  /** K chunks (raw, K·L·A) the pack's policy proposes from the newest observation; candidate 0 is its mode. */
  async propose(K: number, seed: number, temperature = 1): Promise<Float32Array> {
    const { newest } = this.context();
    return this.engine.propose(newest.latent, { proprio: newest.proprio, seed, temperature }, K);
  }

  async imagine(
    request: { K: number; H: number; seed: number; decode: boolean; candidates: CandidateSpec },
    cancel?: Cancellation,
  ): Promise<Imagined> {
    const started = performance.now();
    const H = request.H;
    if (H > this.info.max_horizon) {
      throw new StudioError({
        code: 'invalid_params',
        message: `a horizon of ${H} chunks is beyond this pack's ${this.info.max_horizon}`,
        fix: `Ask for --horizon ${this.info.max_horizon} or less.`,
      });
    }
    const { newest, context } = this.context();
    const candidates =
      'actions' in request.candidates ? request.candidates.actions : { policy: { proprio: newest.proprio, ...request.candidates.policy } };
    const result = await this.engine.imagine(
      { context, gaussians: newest.gaussians, candidates, K: request.K, H, seed: request.seed, decode: request.decode },
      cancel,
    );
    return {
      ...result,
      observation_t_ns: newest.t_ns,
      observed_latent: newest.latent,
      observed_gaussians: newest.gaussians,
      observed_mask: newest.mask,
      latency_ms: performance.now() - started,
    };
  }
}
