import { StudioError } from '../../shared/api/errors';
import type { ChunkAction } from '../control/chunkSource';
import type { CycleRecord } from '../control/controlLoop';
import type { ChunkRun } from '../control/controlProtocol';
import type { Logger } from '../core/logger';
import { eePath, perturbations, repeatChunk, stepLimits, teleopExtension } from '../imagination/candidates';
import type { Imagined, PackInfo } from '../imagination/imaginationService';
import { observedFrames, type Observation } from '../imagination/observation';
import { findPacks, type PackListing } from '../imagination/pack/packFiles';
import { packFolders, resolvePackDir } from '../imagination/pack/packFolders';
import { choose, chunkOf, observationHash } from '../imagination/policyEpisodes';
import { remoteCandidates, remoteObservation } from '../imagination/remote/remoteCandidates';
import { RemotePolicy } from '../imagination/remote/remotePolicy';
import { parseRemotePolicyConfig } from '../imagination/remote/remotePolicyConfig';
import type { ProviderOptions } from '../imagination/providers';
import { ImaginationClient } from '../imagination/worker/imaginationClient';
import type { RecordedObservations } from '../imagination/recordedObservations';
import type { ForesightCandidate, ForesightStore } from '../store/foresightStore';
import type { RecordingService } from './recordingService';
import type { RigLifecycle, RunningRig } from './rigLifecycle';

/**
 * Imagination on the live rig, for the operator: open a pack, preview K candidate chunks from what the
 * rig sees now (the pack's policy, the operator's own motion held, perturbations of either), and
 * approve one — it then runs through the control worker under every safety limit, the e-stop cuts it
 * short — or reject them all. Every preview's decision is stored with the take being recorded.
 */
export type CandidateSource = 'policy' | 'teleop' | 'perturb';

export interface PreviewRequest {
  K: number;
  H: number;
  source: CandidateSource;
  seed?: number;
  /** Policy noise scale of samples after the first (source `policy`). */
  temperature?: number;
  /** Perturbation per chunk (sources `teleop` and `perturb`). */
  translation_m?: number;
  rotation_rad?: number;
}

export interface PreviewCandidate {
  index: number;
  source: string;
  success_prob: number;
  progress: number[];
  /** The first chunk, which runs if approved (L steps of the pack's action layout). */
  chunk: number[][];
  /** The commanded end-effector path over all imagined steps (from the measured pose), m. */
  ee_path_m: [number, number, number][];
}

export interface Preview {
  preview_id: number;
  t_ns: bigint;
  K: number;
  H: number;
  provider: string;
  latency_ms: number;
  timings_ms: Record<string, number>;
  test_auroc: number | null;
  num_gaussians: number;
  best: number;
  candidates: PreviewCandidate[];
}

interface Kept {
  preview: Preview;
  imagined: Imagined;
  /** Candidates' Gaussians decoded so far (on request), by candidate. */
  decoded: Map<number, Promise<Float32Array>>;
  /** For a re-imagined run: the real scenes lifted from the recorded frames at the imagined times (H·N·14). */
  real?: { gaussians: Float32Array; mask: Float32Array; available: number };
  input_hash: string;
  decided: boolean;
  /** Settles when the operator (or a policy run) has decided: the chunk that ran, or null if rejected. */
  decision: Promise<ChunkRun | null>;
  settle: (run: ChunkRun | null) => void;
}

export type PolicyMode = 'off' | 'rank' | 'gate' | 'approve';

/**
 * A policy server elsewhere (openpi's websocket protocol): its URL and, optionally, the rest of the
 * mapping (docs/remote-policy.md). Without `images`, the pack's first camera goes as openpi's
 * `observation/image`; without `chunk_length`, the pack's.
 */
export interface RemotePolicyRequest {
  url: string;
  config?: Record<string, unknown>;
}

export interface PolicyRunRequest {
  mode: PolicyMode;
  /** Candidates from a remote policy server instead of the pack's policy graph. */
  remote?: RemotePolicyRequest;
  K: number;
  /** Chunks imagined ahead per decision; default the pack's success horizon (what its success head was trained on). */
  H?: number;
  threshold: number;
  temperature?: number;
  /** Stop after this long (s); the simulated task's success stops it earlier. */
  max_duration_s: number;
  task?: string;
}

export interface PolicyStatus {
  running: boolean;
  mode: PolicyMode | null;
  /** What proposes the chunks: `pack <name>@<version>` or `remote <url>` (null before the first run). */
  policy: string | null;
  chunks: number;
  last_preview: Preview | null;
  waiting_for_approval: boolean;
  stopped_reason: string | null;
  episode_id: number | null;
}

const KEEP = 8;

export class ForesightService {
  private client: ImaginationClient | undefined;
  private info: PackInfo | undefined;
  private readonly kept = new Map<number, Kept>();
  private nextId = 1;
  private lastTeleop: CycleRecord | undefined;
  private lastCycle: CycleRecord | undefined;
  private running: Promise<unknown> | undefined;
  private policy: PolicyStatus = {
    running: false,
    mode: null,
    policy: null,
    chunks: 0,
    last_preview: null,
    waiting_for_approval: false,
    stopped_reason: null,
    episode_id: null,
  };
  /** Ends the policy run: at the next check, or at once when it waits for the operator or a remote policy. */
  private policyStop: ((reason: string) => void) | undefined;
  private policyDone: Promise<void> | undefined;

  constructor(
    private readonly options: {
      lifecycle: RigLifecycle;
      recording: RecordingService;
      store: ForesightStore;
      recorded: RecordedObservations;
      dataDir: string;
      log: Logger;
      emit?: (status: PolicyStatus) => void;
    },
  ) {
    options.lifecycle.onCycle((record) => {
      if (record.arm_state !== null) this.lastCycle = record;
      if (record.source === 'teleop') this.lastTeleop = record;
    });
    // The arm stops inside the control worker; the run itself must not keep waiting for an operator or a server.
    options.lifecycle.onDidLatchEstop(() => this.policyStop?.('e-stop'));
  }

  packs(): PackListing[] {
    return findPacks(packFolders(this.options.dataDir));
  }

  get pack(): PackInfo | null {
    return this.info ?? null;
  }

  async open(dir: string | undefined, provider: ProviderOptions): Promise<PackInfo> {
    const client = new ImaginationClient();
    try {
      const info = await client.open(resolvePackDir(dir), provider);
      await this.close();
      this.client = client;
      this.info = info;
      this.options.log.info(`world model ${info.model_name} ${info.model_version} on ${info.provider.provider}`);
      return info;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.stopPolicy('closed');
    const client = this.client;
    this.client = undefined;
    this.info = undefined;
    this.kept.clear();
    await client?.close();
  }

  private need(): { client: ImaginationClient; info: PackInfo } {
    if (this.client === undefined || this.info === undefined)
      throw new StudioError({
        code: 'failed_precondition',
        message: 'no world-model pack is open',
        fix: 'Open one (foresight.open; the reference pack is models/packs/gwm-lite-sim-franka).',
      });
    return { client: this.client, info: this.info };
  }

  /**
   * What the rig sees now: the cameras' latest frames and the arm state the last control cycle acted on,
   * stamped with that cycle's time — the clock the take records its samples on, so a stored run finds
   * its moment in the recording again.
   */
  private observe(run: RunningRig): Observation {
    const cycle = this.lastCycle;
    const arm = cycle?.arm_state ?? undefined;
    if (cycle === undefined || arm === undefined)
      throw new StudioError({ code: 'unavailable', message: 'no arm state yet to imagine from' });
    const frames = observedFrames(run.cameras.cameras.flatMap((camera) => camera.latest() ?? []));
    return {
      t_ns: cycle.t_ns,
      frames,
      proprio: [...arm.ee_position_m, ...arm.ee_quaternion_wxyz, cycle.gripper_state?.width_m ?? run.gripper?.latest()?.width_m ?? 0],
    };
  }

  /** K candidates imagined from what the rig sees now; a policy run with a remote policy passes it (its chunks are the candidates). */
  async preview(request: PreviewRequest, remote?: { policy: RemotePolicy; instruction: string }): Promise<Preview> {
    const { client, info } = this.need();
    const run = this.options.lifecycle.need();
    const rig = this.options.lifecycle.rig.config;
    const seed = request.seed ?? this.nextId;
    const observation = this.observe(run);
    await client.observe(observation);
    const L = info.chunk_length;
    const A = info.action_names.length;
    const shape = { H: request.H, L, A };
    const limits = stepLimits(rig.safety, info.control_hz);
    const scale = {
      translation_m: request.translation_m ?? 0.4 * limits.max_translation_m,
      rotation_rad: request.rotation_rad ?? 0.2 * limits.max_rotation_rad,
    };
    let candidates: Parameters<ImaginationClient['imagine']>[0]['candidates'];
    let sources: string[];
    if (remote !== undefined) {
      // Every camera's colour, not only the ones the world model lifts: the policy may read any of them.
      const frames = run.cameras.cameras.flatMap((camera) => camera.latest() ?? []);
      candidates = {
        actions: await remoteCandidates(
          remote.policy,
          remoteObservation(frames, observation.proprio, remote.instruction),
          request.K,
          shape,
        ),
      };
      sources = Array.from({ length: request.K }, (_, k) => `remote:sample-${k}`);
    } else if (request.source === 'policy') {
      candidates = { policy: { seed, ...(request.temperature !== undefined ? { temperature: request.temperature } : {}) } };
      sources = Array.from({ length: request.K }, (_, k) => (k === 0 ? 'policy:mode' : `policy:sample-${k}`));
    } else {
      const base =
        request.source === 'teleop'
          ? teleopExtension(this.teleopMotion(), shape, info.control_hz, limits)
          : repeatChunk(await client.propose(1, seed), request.H);
      candidates = { actions: perturbations(base, request.K, shape, seed, scale, limits) };
      sources = Array.from({ length: request.K }, (_, k) => (k === 0 ? request.source : `${request.source}:perturbed-${k}`));
    }
    // Scores first (what the operator decides on); each candidate's Gaussians are decoded when asked for.
    const imagined = await client.imagine({ K: request.K, H: request.H, seed, decode: false, candidates });
    let best = 0;
    for (let k = 1; k < imagined.K; k++) if ((imagined.success_prob[k] ?? 0) > (imagined.success_prob[best] ?? 0)) best = k;
    const start = observation.proprio.slice(0, 3);
    const preview: Preview = {
      preview_id: this.nextId++,
      t_ns: imagined.observation_t_ns,
      K: imagined.K,
      H: imagined.H,
      provider: info.provider.provider,
      latency_ms: imagined.latency_ms,
      timings_ms: Object.fromEntries(Object.entries(imagined.timings_ms).map(([graph, ms]) => [graph, ms ?? 0])),
      test_auroc: info.test_auroc,
      num_gaussians: info.num_gaussians,
      best,
      candidates: Array.from({ length: imagined.K }, (_, k) => {
        const path = eePath(start, imagined.actions, k * imagined.H * L * A, imagined.H * L, A);
        return {
          index: k,
          source: sources[k] ?? 'unknown',
          success_prob: imagined.success_prob[k] ?? NaN,
          progress: Array.from(imagined.progress.subarray(k * imagined.progress_steps, (k + 1) * imagined.progress_steps)),
          chunk: chunkOf(imagined, k, L, A).map((c) => [...c.translation_m, ...c.rotation_axis_angle_rad, c.gripper]),
          ee_path_m: path,
        };
      }),
    };
    let settle: (run: ChunkRun | null) => void = () => undefined;
    const decision = new Promise<ChunkRun | null>((resolve) => (settle = resolve));
    this.kept.set(preview.preview_id, {
      preview,
      imagined,
      input_hash: observationHash(observation),
      decided: false,
      decision,
      settle,
      decoded: new Map(),
    });
    for (const id of [...this.kept.keys()].slice(0, Math.max(0, this.kept.size - KEEP))) this.kept.delete(id);
    return preview;
  }

  /** The operator's motion now: the last teleop cycle's intent as a velocity (zero without one). */
  private teleopMotion(): { linear_m_s: number[]; angular_rad_s: number[]; gripper: number } {
    const record = this.lastTeleop;
    const hz = this.options.lifecycle.need().started.rate_hz;
    const intent = record?.intent;
    if (intent === null || intent === undefined)
      return { linear_m_s: [0, 0, 0], angular_rad_s: [0, 0, 0], gripper: record?.gripper_intent ?? 0 };
    return {
      linear_m_s: intent.arm.translation_m.map((v) => v * hz),
      angular_rad_s: intent.arm.rotation_axis_angle_rad.map((v) => v * hz),
      gripper: intent.gripper ?? record?.gripper_intent ?? 0,
    };
  }

  private kept_(previewId: number): Kept {
    const kept = this.kept.get(previewId);
    if (kept === undefined)
      throw new StudioError({
        code: 'not_found',
        message: `preview ${previewId} is gone (only the last ${KEEP} are kept)`,
        fix: 'Ask for a new preview.',
      });
    return kept;
  }

  /**
   * The imagined Gaussians of candidate k (H·N·14 floats, decoded on first request and kept), or with
   * k = −1 the observed ones (N·14) and their mask, with k = −2 (re-imagined runs) the real ones.
   */
  async splats(previewId: number, k: number): Promise<{ H: number; N: number; gaussians: Float32Array; mask: Float32Array }> {
    const kept = this.kept_(previewId);
    const { imagined, real } = kept;
    const N = imagined.observed_mask.length;
    if (k === -1) return { H: 1, N, gaussians: imagined.observed_gaussians, mask: imagined.observed_mask };
    if (k === -2) {
      if (real === undefined)
        throw new StudioError({
          code: 'invalid_params',
          message: `preview ${previewId} is live: there is no recorded reality to show (candidate −2 is for re-imagined runs)`,
        });
      return { H: real.available, N, gaussians: real.gaussians, mask: real.mask };
    }
    if (!Number.isInteger(k) || k < 0 || k >= imagined.K)
      throw new StudioError({ code: 'invalid_params', message: `candidate ${k} is not in preview ${previewId} (it has ${imagined.K})` });
    const size = imagined.H * N * 14;
    if (imagined.gaussians !== null)
      return { H: imagined.H, N, gaussians: imagined.gaussians.subarray(k * size, (k + 1) * size), mask: imagined.observed_mask };
    let decoded = kept.decoded.get(k);
    if (decoded === undefined) {
      const frame = imagined.latents.length / (imagined.K * imagined.H);
      decoded = this.need().client.decode(
        imagined.observed_latent,
        imagined.latents.slice(k * imagined.H * frame, (k + 1) * imagined.H * frame),
        imagined.observed_gaussians,
      );
      kept.decoded.set(k, decoded);
    }
    return { H: imagined.H, N, gaussians: await decoded, mask: imagined.observed_mask };
  }

  private record(kept: Kept, mode: string, decision: string, chosen: number | null): number {
    const { preview, imagined } = kept;
    kept.decided = true;
    const info = this.need().info;
    const candidates: ForesightCandidate[] = preview.candidates.map((c) => ({
      source: c.source,
      success_prob: c.success_prob,
      progress: c.progress,
      chunk: c.chunk,
    }));
    return this.options.store.record({
      episode_id: this.options.recording.status().episode_id ?? null,
      t_ns: imagined.observation_t_ns,
      model: { name: info.model_name, version: info.model_version, dir: info.dir },
      pack_sha256: info.manifest_sha256,
      provider: info.provider.provider,
      mode,
      decision,
      horizon: preview.H,
      latency_ms: preview.latency_ms,
      input_hash: kept.input_hash,
      candidates,
      chosen_index: chosen,
    });
  }

  /** Runs candidate k's first chunk through the control worker; `auto` picks the best predicted one. */
  async approve(previewId: number, candidate: number | 'auto', mode?: string): Promise<{ run_id: number; candidate: number } & ChunkRun> {
    const kept = this.kept_(previewId);
    if (kept.decided)
      throw new StudioError({
        code: 'failed_precondition',
        message: `preview ${previewId} was already decided`,
        fix: 'Ask for a new preview: the scene has moved on.',
      });
    if (this.running !== undefined) throw new StudioError({ code: 'failed_precondition', message: 'an approved chunk is still running' });
    const k = candidate === 'auto' ? kept.preview.best : candidate;
    const chosen = kept.preview.candidates[k];
    if (chosen === undefined) throw new StudioError({ code: 'invalid_params', message: `candidate ${k} is not in preview ${previewId}` });
    const run = this.options.lifecycle.need();
    if (this.options.lifecycle.estopped)
      throw new StudioError({
        code: 'failed_precondition',
        message: 'E-stop is latched: nothing runs',
        fix: 'Release the e-stop, then approve again.',
      });
    const runId = this.record(kept, mode ?? (candidate === 'auto' ? 'auto-rank' : 'approve'), 'executed', k);
    const actions: ChunkAction[] = chosen.chunk.map((a) => ({
      translation_m: [a[0] ?? 0, a[1] ?? 0, a[2] ?? 0],
      rotation_axis_angle_rad: [a[3] ?? 0, a[4] ?? 0, a[5] ?? 0],
      gripper: a[6] ?? 0,
    }));
    const playing = run.control.request('runChunk', { actions, kind: 'chunk' });
    this.running = playing;
    try {
      const result = await playing;
      const arm = run.arm.latest();
      const privileged = run.sim?.latestPrivileged;
      this.options.store.recordReal(runId, {
        played: result.played,
        clipped: result.clipped,
        estopped: result.estopped,
        ...(arm !== undefined ? { ee_position_m: arm.ee_position_m } : {}),
        ...(privileged !== undefined
          ? {
              sim_time_s: privileged.sim_time_s,
              object_target_distance_m: privileged.object_target_distance_m,
              grasped: privileged.grasped,
              success: privileged.success,
            }
          : {}),
      });
      kept.settle(result);
      return { run_id: runId, candidate: k, ...result };
    } catch (error) {
      kept.settle({ played: 0, clipped: 0, estopped: this.options.lifecycle.estopped, first_t_ns: null, last_t_ns: null });
      throw error;
    } finally {
      this.running = undefined;
    }
  }

  reject(previewId: number): { run_id: number } {
    const kept = this.kept_(previewId);
    if (kept.decided) throw new StudioError({ code: 'failed_precondition', message: `preview ${previewId} was already decided` });
    const run_id = this.record(kept, this.policy.running ? (this.policy.mode ?? 'approve') : 'approve', 'rejected', null);
    kept.settle(null);
    return { run_id };
  }

  /**
   * A stored run re-imagined from its recording: the episode's frames at the run's time (and one world-model
   * step before, for the context), the actions that really ran next (summed onto the pack's control steps),
   * imagined H chunks ahead; beside it (`splats` candidate −2) the real scenes lifted from the frames
   * recorded at the same future times. Needs the pack the run was made with open, and the episode kept.
   */
  async reimagine(
    runId: number,
  ): Promise<Preview & { real_steps: number; predicted_at_run: number | null; episode_outcome: string | null }> {
    const { client, info } = this.need();
    const row = this.options.store.get(runId);
    if (row === undefined) throw new StudioError({ code: 'not_found', message: `imagination run ${runId} does not exist` });
    if (row.episode_id === null)
      throw new StudioError({
        code: 'failed_precondition',
        message: `run ${runId} belongs to no recorded episode (it was deleted, or the run was a preview outside a take)`,
      });
    if (row.pack_sha256 !== info.manifest_sha256) {
      throw new StudioError({
        code: 'failed_precondition',
        message: `run ${runId} was imagined by ${row.model.name} ${row.model.version} (${row.pack_sha256.slice(0, 12)}…); the open pack is ${info.model_name} ${info.model_version}`,
        fix: `Open ${row.model.dir} to compare that run.`,
      });
    }
    const recorded = this.options.recorded;
    let t0 = BigInt(row.t_ns);
    const step_ns = BigInt(Math.round(1e9 / info.control_hz));
    const chunk_ns = step_ns * BigInt(info.chunk_length);
    const H = Math.max(1, Math.min(row.horizon, info.max_horizon));
    await client.reset();
    const before = t0 - chunk_ns;
    if (before >= 0n) await client.observe(await recorded.at(row.episode_id, info.cameras, before)).catch(() => null);
    const now = await recorded.at(row.episode_id, info.cameras, t0);
    // (A decision made as the take began reads from the take's first samples.)
    t0 = now.t_ns;
    await client.observe(now);
    const actions = recorded.actions(row.episode_id, t0, H * info.chunk_length, step_ns);
    const imagined = await client.imagine({ K: 1, H, seed: runId, decode: true, candidates: { actions } });
    // Reality at the same times, as far as the episode goes.
    const N = imagined.observed_mask.length;
    const real = new Float32Array(H * N * 14);
    let available = 0;
    for (let h = 1; h <= H; h++) {
      try {
        const lifted = await client.lift(await recorded.at(row.episode_id, info.cameras, t0 + BigInt(h) * chunk_ns));
        real.set(lifted.gaussians, (h - 1) * N * 14);
        available = h;
      } catch {
        break;
      }
    }
    const L = info.chunk_length;
    const A = info.action_names.length;
    const path = eePath(now.proprio.slice(0, 3), imagined.actions, 0, H * L, A);
    const preview: Preview = {
      preview_id: this.nextId++,
      t_ns: t0,
      K: 1,
      H,
      provider: info.provider.provider,
      latency_ms: imagined.latency_ms,
      timings_ms: Object.fromEntries(Object.entries(imagined.timings_ms).map(([graph, ms]) => [graph, ms ?? 0])),
      test_auroc: info.test_auroc,
      num_gaussians: info.num_gaussians,
      best: 0,
      candidates: [
        {
          index: 0,
          source: 'recorded',
          success_prob: imagined.success_prob[0] ?? NaN,
          progress: Array.from(imagined.progress),
          chunk: chunkOf(imagined, 0, L, A).map((c) => [...c.translation_m, ...c.rotation_axis_angle_rad, c.gripper]),
          ee_path_m: path,
        },
      ],
    };
    this.kept.set(preview.preview_id, {
      preview,
      imagined,
      real: { gaussians: real, mask: imagined.observed_mask, available },
      decoded: new Map(),
      input_hash: row.input_hash,
      decided: true,
      decision: Promise.resolve(null),
      settle: () => undefined,
    });
    for (const id of [...this.kept.keys()].slice(0, Math.max(0, this.kept.size - KEEP))) this.kept.delete(id);
    return { ...preview, real_steps: available, predicted_at_run: row.chosen_success_prob, episode_outcome: row.episode_outcome };
  }

  status(): PolicyStatus {
    return { ...this.policy };
  }

  private emit(change: Partial<PolicyStatus>): void {
    this.policy = { ...this.policy, ...change };
    this.options.emit?.(this.status());
  }

  /**
   * The pack's policy drives the live rig chunk by chunk, recorded as a take (operator: the policy and
   * mode): each chunk is previewed, then — by mode — executed as proposed (off), the best of K (rank),
   * only above the success threshold (gate; below it, the run pauses for the operator's approve or
   * reject), or only when the operator approves (approve). A rejection, the e-stop, the task's success
   * or the time limit ends the run; the take is saved with the outcome the simulator reports (else unknown).
   */
  async startPolicy(asked: PolicyRunRequest): Promise<PolicyStatus> {
    const { info } = this.need();
    const request = { ...asked, H: asked.H ?? info.success_horizon };
    this.options.lifecycle.need();
    if (this.policy.running)
      throw new StudioError({
        code: 'failed_precondition',
        message: `a ${this.policy.mode} policy run is already going`,
        fix: 'Stop it first.',
      });
    if (request.remote === undefined && !info.has_policy)
      throw new StudioError({
        code: 'failed_precondition',
        message: `the pack ${info.model_name} has no policy graph`,
        fix: 'Run a remote policy server instead, or open a pack trained with its policy stage.',
      });
    if (this.options.lifecycle.estopped)
      throw new StudioError({
        code: 'failed_precondition',
        message: 'E-stop is latched: the policy does not start',
        fix: 'Release the e-stop first.',
      });
    const phase = this.options.recording.status().phase;
    if (phase === 'recording' || phase === 'stopped')
      throw new StudioError({
        code: 'failed_precondition',
        message: 'a take is already recording or waiting to be saved',
        fix: 'Save or discard it; a policy run records its own take.',
      });
    // A remote server is reached before the take starts: an unreachable one records nothing.
    const remote = request.remote === undefined ? undefined : await this.connectRemote(request.remote, info);
    const policy = remote === undefined ? `pack ${info.model_name}@${info.model_version}` : `remote ${remote.config.url}`;
    const knobs = `mode=${request.mode}${request.mode === 'rank' || request.mode === 'approve' ? ` K=${request.K}` : ''} H=${request.H}${request.mode === 'gate' ? ` threshold=${request.threshold}` : ''}`;
    const operator =
      remote === undefined
        ? `policy ${info.model_name}@${info.model_version} ${knobs}`
        : `remote policy ${remote.config.url} ${knobs} (imagined by ${info.model_name}@${info.model_version})`;
    let episode_id: number;
    try {
      episode_id = await this.options.recording.start(request.task, operator);
    } catch (error) {
      await remote?.close();
      throw error;
    }
    let stop: string | undefined;
    this.policyStop = (reason) => {
      stop ??= reason;
      // A run waiting for the operator stops waiting; a request to a remote server in flight fails now.
      const waiting = this.policy.last_preview === null ? undefined : this.kept.get(this.policy.last_preview.preview_id);
      if (waiting !== undefined && !waiting.decided) waiting.settle(null);
      remote?.abort();
    };
    this.emit({
      running: true,
      mode: request.mode,
      policy,
      chunks: 0,
      last_preview: null,
      waiting_for_approval: false,
      stopped_reason: null,
      episode_id,
    });
    this.policyDone = this.runPolicy(request, () => stop, remote)
      .then(
        (reason) => reason,
        // A stop that cut a request short is the reason, not the error it caused.
        (error: unknown) => stop ?? (this.options.lifecycle.estopped ? 'e-stop' : `error: ${(error as Error).message}`),
      )
      .then(async (reason) => {
        await remote?.close();
        await this.finishPolicy(reason);
      });
    return this.status();
  }

  /** The remote policy of a run, connected (its metadata read), or a StudioError naming the server and the fix. */
  private async connectRemote(request: RemotePolicyRequest, info: PackInfo): Promise<RemotePolicy> {
    const mapping: Record<string, unknown> = {
      images: { 'observation/image': info.cameras[0] ?? 'front' },
      chunk_length: info.chunk_length,
      ...request.config,
      url: request.url,
    };
    const config = parseRemotePolicyConfig(mapping, 'the remote policy');
    // Checked before anything connects: a camera the rig lacks would fail the first request, mid-take.
    const rigCameras = this.options.lifecycle.rig.config.cameras.map((camera) => camera.name);
    for (const [key, camera] of Object.entries(config.images)) {
      if (!rigCameras.includes(camera))
        throw new StudioError({
          code: 'invalid_params',
          message: `the remote policy's images["${key}"] names camera "${camera}", which the rig does not have (cameras: ${rigCameras.join(', ')})`,
          fix: "Name one of the rig's cameras for each request key in the remote policy's images.",
        });
    }
    const remote = new RemotePolicy(config);
    try {
      await remote.connect();
    } catch (error) {
      await remote.close();
      throw error;
    }
    this.options.log.info(`remote policy ${remote.config.url} connected`);
    return remote;
  }

  private async runPolicy(
    request: PolicyRunRequest & { H: number },
    stopped: () => string | undefined,
    remote: RemotePolicy | undefined,
  ): Promise<string> {
    const started = performance.now();
    for (;;) {
      const stop = stopped();
      if (stop !== undefined) return stop;
      if (this.options.lifecycle.estopped) return 'e-stop';
      const run = this.options.lifecycle.need();
      if (run.sim?.latestPrivileged?.success === true) return 'success';
      if ((performance.now() - started) / 1000 >= request.max_duration_s) return 'timeout';
      const K = request.mode === 'rank' || request.mode === 'approve' ? request.K : 1;
      const preview = await this.preview(
        { K, H: request.H, source: 'policy', ...(request.temperature !== undefined ? { temperature: request.temperature } : {}) },
        remote === undefined ? undefined : { policy: remote, instruction: request.task ?? '' },
      );
      const kept = this.kept_(preview.preview_id);
      const ask = request.mode === 'approve' || (request.mode === 'gate' && (preview.candidates[0]?.success_prob ?? 0) < request.threshold);
      this.emit({ last_preview: preview, waiting_for_approval: ask });
      const stopNow = stopped();
      if (stopNow !== undefined) return stopNow;
      let result: ChunkRun | null;
      if (ask) {
        // The operator decides through foresight.approve / foresight.reject on this preview.
        result = await kept.decision;
        this.emit({ waiting_for_approval: false });
        if (result === null) return stopped() ?? 'rejected';
      } else {
        // The e-stop may have latched while the model was imagining: nothing runs then.
        if (this.options.lifecycle.estopped) return 'e-stop';
        try {
          // rank decides as `studio policy run` does: the policy's own chunk unless a sample beats it by the margin.
          const chosen =
            request.mode === 'rank'
              ? (choose('rank', Float32Array.from(preview.candidates.map((c) => c.success_prob)), request.threshold).index ?? 0)
              : 0;
          result = await this.approve(preview.preview_id, chosen, request.mode);
        } catch (error) {
          if (this.options.lifecycle.estopped) return 'e-stop';
          throw error;
        }
      }
      this.emit({ chunks: this.policy.chunks + 1 });
      if (result.estopped) return 'e-stop';
    }
  }

  private async finishPolicy(reason: string): Promise<void> {
    this.policyStop = undefined;
    const recording = this.options.recording;
    const phase = recording.status().phase;
    if (phase === 'recording' || phase === 'stopped') {
      let success: boolean | undefined;
      try {
        success = this.options.lifecycle.need().sim?.latestPrivileged?.success;
      } catch {
        success = undefined;
      }
      await recording
        .save(success === undefined ? 'unknown' : success ? 'success' : 'failure')
        .catch((error: Error) => this.options.log.warn(`the policy run's take was not saved: ${error.message}`));
    }
    this.options.log.info(`policy run ended: ${reason}`);
    this.emit({ running: false, waiting_for_approval: false, stopped_reason: reason });
  }

  async stopPolicy(reason = 'operator'): Promise<PolicyStatus> {
    if (!this.policy.running) return this.status();
    this.policyStop?.(reason);
    this.options.log.info(`policy run stopping: ${reason}`);
    await this.policyDone;
    return this.status();
  }
}
