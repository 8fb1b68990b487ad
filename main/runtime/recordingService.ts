import type { RecordingStatus } from '../../shared/api/contract';
import { disposableInterval, toDisposable } from '../../shared/base/disposable';
import type { EventBus } from '../core/eventBus';
import type { Logger } from '../core/logger';
import type { Clock } from '../devices/types';
import { Recorder, type Outcome, type RecorderStatus } from '../recording/recorder';
import { RigTap } from '../recording/rigTap';
import type { SimSession } from '../devices/sim/simSession';
import { startWriterThread, type WriterClient } from '../recording/writerClient';
import { recordingRefusedWhileEstopped } from './estopGuard';
import type { ButtonPress, RigLifecycle, RunningRig } from './rigLifecycle';

export interface RecordingServiceOptions {
  lifecycle: RigLifecycle;
  dataDir: string;
  appVersion: string;
  clock: Clock;
  events: EventBus;
  log: Logger;
  /** The store writer for each run (default: the writer thread on `dataDir`). */
  openWriter?: () => WriterClient;
}

/** One run's recording: the writer thread, the recorder, and the tap that feeds it the rig's cycles and frames. */
interface Take {
  writer: WriterClient;
  recorder: Recorder;
  tap: RigTap;
  /** The simulated world of a sim rig's run (new scenes between takes). */
  sim: SimSession | undefined;
}

/**
 * The recording session of the live rig: for each run of the rig, a store writer, a recorder and the
 * tap around the control worker's cycles and the cameras; the take's lifecycle (start, stop, save,
 * discard, re-record) for the API and for mapped teleop buttons; `recording.status` events. A take is
 * never thrown away without the operator: the e-stop stops it and keeps it waiting, and a rig that
 * stops under it saves it with its stop reason.
 */
export class RecordingService {
  private take: Take | undefined;
  /** Who the recorder's open session records (set when it starts). */
  private sessionOperator = '';
  /** A take being stopped because the e-stop latched mid-take (shared by every path that notices). */
  private estopStopping: Promise<void> | undefined;

  constructor(private readonly options: RecordingServiceOptions) {
    const { lifecycle } = options;
    lifecycle.onDidStart((run) => this.attach(run));
    lifecycle.onWillStop(() => this.keepTake());
    lifecycle.onDidLatchEstop(() => this.stopTakeForEstop());
    lifecycle.onButton(
      (press) =>
        void this.runButton(press.action).catch((error: Error) =>
          options.log.warn(`${press.device} ${press.button} → ${press.action}: ${error.message}`),
        ),
    );
    lifecycle.onCycle((cycle) => {
      const take = this.take;
      if (take === undefined) return;
      // The cycle carries the state, gripper intent and ground truth it used: nothing is re-joined here.
      take.tap.recordCycleRecord(cycle);
      void take.recorder.tick().then((event) => {
        if (event !== null) this.emitStatus();
      });
    });
  }

  status(): RecordingStatus {
    const status = this.take?.recorder.status();
    const max = this.options.lifecycle.rig.config.recording.max_episode_s;
    if (status === undefined) {
      return {
        phase: 'idle',
        session_id: null,
        episode_id: null,
        saved_count: 0,
        task: '',
        elapsed_s: 0,
        max_duration_s: max,
        reset_remaining_s: null,
        stop_reason: null,
        streams: {},
        durable_lag_ms: null,
        queued_ops: 0,
        failure: null,
      };
    }
    return {
      ...status,
      streams: this.takeStreams(status),
      max_duration_s: max,
      failure:
        status.failure === null
          ? null
          : { message: status.failure.message, ...(status.failure.fix !== undefined ? { fix: status.failure.fix } : {}) },
    };
  }

  /**
   * The take in hand's counts with each stream's declared rate (so the UI can say "7 of 15 fps"); none
   * between takes, or the last take's drops would still show after a save, a reload or a new start.
   */
  private takeStreams(status: RecorderStatus): RecordingStatus['streams'] {
    if (status.phase !== 'recording' && status.phase !== 'stopped') return {};
    const declared = this.take?.recorder.declaredRates() ?? new Map<string, number | null>();
    return Object.fromEntries(
      Object.entries(status.streams).map(([name, counts]) => [name, { ...counts, nominal_hz: declared.get(name) ?? null }]),
    );
  }

  async start(task: string | undefined, operator: string | undefined): Promise<number> {
    const { recorder, tap } = this.need();
    const { lifecycle } = this.options;
    // Refused here, in the core, so every caller (UI, web API, mapped device buttons) is refused alike.
    if (lifecycle.estopped) throw recordingRefusedWhileEstopped(lifecycle.control.fault);
    const { config } = lifecycle.rig;
    // The operator (a person, or a policy with its mode) belongs to the session: a take by someone else
    // starts a new one, or a policy's rank run followed by an approve run would record both as rank.
    const who = operator ?? '';
    if (recorder.status().session_id !== null && this.sessionOperator !== who) await recorder.endSession('operator');
    if (recorder.status().session_id === null) {
      this.sessionOperator = who;
      await recorder.startSession({
        operator: who,
        rig_name: config.name,
        rig_config_json: JSON.stringify(config),
        app_version: this.options.appVersion,
      });
    }
    const episode = await recorder.startEpisode({
      task: task ?? config.recording.task,
      target_fps_hz: config.recording.fps_hz,
      max_duration_s: config.recording.max_episode_s,
      streams: tap.streams(),
    });
    // An e-stop that latched while the episode was being created stops it at once (and keeps it).
    if (lifecycle.estopped) await this.stopTakeForEstop();
    this.emitStatus();
    return episode;
  }

  async stop(): Promise<RecordingStatus> {
    const { recorder, tap } = this.need();
    await recorder.stopEpisode();
    await tap.idle();
    return this.status();
  }

  async save(outcome: Outcome | undefined): Promise<number> {
    const { recorder, tap } = this.need();
    if (recorder.status().phase === 'recording') await recorder.stopEpisode();
    await tap.idle();
    const id = await recorder.saveEpisode(outcome ?? 'unknown');
    const reset = this.options.lifecycle.rig.config.recording.reset_s;
    if (reset > 0) recorder.startReset(reset);
    await this.newSimScene();
    return id;
  }

  async discard(): Promise<number> {
    const { recorder, tap } = this.need();
    await tap.idle();
    return recorder.discardEpisode();
  }

  async rerecord(): Promise<number> {
    const { recorder, tap } = this.need();
    const { lifecycle } = this.options;
    // Checked before the discard: a refused re-record must not have thrown the old take away.
    if (lifecycle.estopped) throw recordingRefusedWhileEstopped(lifecycle.control.fault);
    await tap.idle();
    return recorder.rerecordEpisode();
  }

  /**
   * After a save, a simulated rig gets a new scene (cube and target placed from a fresh seed, the arm
   * home), as a person would reset a real table between takes: the next take starts from a scene
   * nobody has solved yet. The save stands even if the reset fails (it is logged).
   */
  private async newSimScene(): Promise<void> {
    const sim = this.take?.sim;
    if (sim === undefined) return;
    try {
      await sim.reset(Math.floor(Math.random() * 0xffffffff));
    } catch (error) {
      this.options.log.warn(`a new simulated scene after the save failed (press N for one): ${(error as Error).message}`);
    }
  }

  /** A mapped teleop button the control worker passed on. */
  private async runButton(action: ButtonPress['action']): Promise<void> {
    const phase = this.take?.recorder.status().phase;
    switch (action) {
      case 'toggle_recording':
        if (phase === 'recording') await this.stop();
        else if (phase === 'idle' || phase === 'resetting') await this.start(undefined, undefined);
        return;
      case 'save_success':
      case 'save_failure':
        await this.save(action === 'save_success' ? 'success' : 'failure');
        return;
      case 'discard':
        await this.discard();
        return;
      case 'rerecord':
        await this.rerecord();
        return;
    }
  }

  /** A run of the rig: its writer, recorder and tap, released with the run (after the take is kept). */
  private attach(run: RunningRig): void {
    const { clock, dataDir, appVersion } = this.options;
    const writer = (this.options.openWriter ?? (() => startWriterThread({ dataDir, appVersion })))();
    const recorder = new Recorder({ writer, clock });
    const tap = new RigTap(recorder, {
      control_hz: run.started.rate_hz,
      arm: run.arm,
      ...(run.gripper !== undefined ? { gripper: run.gripper } : {}),
      cameras: run.cameras.cameras.map((device, i) => ({ device, config: run.rig.config.cameras[i]! })),
      privileged: run.sim !== undefined,
      ...(run.sim !== undefined ? { scene: () => run.sim!.sceneDescription() } : {}),
    });
    const take: Take = { writer, recorder, tap, sim: run.sim };
    // Released last first: the status feeds stop, then the tap drains into the recorder and the writer closes.
    run.disposables.defer(async () => {
      if (this.take === take) this.take = undefined;
      tap.detach();
      await tap.idle();
      recorder.dispose();
      await writer.close().catch(() => undefined);
    });
    run.disposables.add(toDisposable(recorder.onStatus(() => this.emitStatus())));
    run.disposables.add(
      disposableInterval(() => {
        const phase = recorder.status().phase;
        if (phase === 'recording' || phase === 'resetting') this.emitStatus();
      }, 250),
    );
    tap.attach();
    this.take = take;
  }

  /**
   * The rig stops (rig.stop, rig.apply, the studio closing, the control worker failing) under a take
   * that is recording or waiting to be saved: it is kept, saved with outcome `unknown` and the tag
   * `stop_reason:…`, like a take an e-stop stopped. Only the operator throws a take away.
   */
  private async keepTake(): Promise<void> {
    const take = this.take;
    if (take === undefined) return;
    const { recorder, tap } = take;
    try {
      if (recorder.status().phase === 'recording') await recorder.stopEpisode('rig_stopped');
      await tap.idle();
      const kept = await recorder.keepEpisode('rig_stopped');
      if (kept !== null)
        this.options.log.warn(
          `the rig stopped with episode ${kept} not yet saved: it is kept (saved, outcome unknown, tagged with its stop reason); label or delete it in Episodes`,
        );
      await recorder.endSession();
    } catch (error) {
      this.options.log.error(
        'keeping the take when the rig stopped failed (what was committed stays in the store and is recovered as interrupted)',
        error,
      );
    }
  }

  /**
   * The e-stop latched while recording: the take stops where it is and is kept, waiting to be saved
   * or discarded like any stopped take (recording.status says `stop_reason: 'estop'`). Nothing
   * recorded is thrown away: what led up to an e-stop is often the most useful data a lab has.
   */
  private stopTakeForEstop(): Promise<void> {
    this.estopStopping ??= (async () => {
      const take = this.take;
      if (take === undefined || take.recorder.status().phase !== 'recording') return;
      const episode = take.recorder.status().episode_id;
      await take.recorder.stopEpisode('estop');
      await take.tap.idle();
      this.options.log.warn(`the e-stop latched during episode ${episode}: the take is stopped and kept; save or discard it`);
    })()
      .catch((error: Error) => this.options.log.error('stopping the take after the e-stop failed', error))
      .finally(() => {
        this.estopStopping = undefined;
      });
    return this.estopStopping;
  }

  private need(): Take {
    const take = this.take;
    // The lifecycle says why there is no running rig (stopped, starting, failed and its fix).
    this.options.lifecycle.need();
    if (take === undefined) throw this.options.lifecycle.notRunning();
    return take;
  }

  private emitStatus(): void {
    this.options.events.emit('recording.status', this.status());
  }
}
