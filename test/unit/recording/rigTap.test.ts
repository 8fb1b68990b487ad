import { afterEach, describe, expect, test } from 'vitest';
import { RemoteArm, RemoteGripper } from '../../../main/control/remoteDevices';
import type { Camera, CameraFrame, DeviceStatus, Features } from '../../../main/devices/types';
import { Recorder } from '../../../main/recording/recorder';
import { RigTap } from '../../../main/recording/rigTap';
import { InlineWriterClient } from '../../../main/recording/writerClient';
import { openStore, type Store } from '../../../main/store/database';
import { EpisodeStore } from '../../../main/store/episodeStore';
import { rigConfigSchema } from '../../../shared/rig/rigConfig';
import simRig from '../../../rigs/sim.json';
import { ManualClock } from '../../support/manualClock';
import { makeJpegFrames } from '../../support/recordedEpisodes';
import { useTempDirs } from '../../support/tempDir';

/** A camera that emits the frames it is given: the tap's side of the Camera interface, nothing more. */
class ScriptedCamera implements Camera {
  readonly kind = 'camera' as const;
  readonly type = 'scripted';
  private readonly listeners = new Set<(frame: CameraFrame) => void>();
  private last: CameraFrame | undefined;
  constructor(readonly name: string) {}
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  status(): DeviceStatus {
    return { connected: true };
  }
  features(): Features {
    return {};
  }
  latest(): CameraFrame | undefined {
    return this.last;
  }
  onFrame(listener: (frame: CameraFrame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(frame: CameraFrame): void {
    this.last = frame;
    for (const listener of this.listeners) listener(frame);
  }
}

describe('rig tap: camera frames', () => {
  const tempDir = useTempDirs();
  const jpegs = makeJpegFrames(3, 32, 24);
  const stores: Store[] = [];
  afterEach(() => stores.splice(0).forEach((store) => store.close()));

  test('JPEG cameras are stored as delivered (no re-encode); others as lossless PNG; capture order kept', async () => {
    const dataDir = tempDir();
    const writer = new InlineWriterClient({ dataDir, appVersion: 'test' });
    const clock = new ManualClock();
    const recorder = new Recorder({ writer, clock });
    const base = rigConfigSchema.parse(simRig).cameras[0]!;
    const uvc = new ScriptedCamera('uvc');
    const raw = new ScriptedCamera('raw');
    const frame = (camera: string, t: bigint, jpeg?: Uint8Array): CameraFrame => ({
      camera,
      capture_ns: t,
      width_px: 32,
      height_px: 24,
      rgb: new Uint8Array(32 * 24 * 3).fill(Number(t % 200n)),
      ...(jpeg !== undefined ? { jpeg } : {}),
    });
    uvc.emit(frame('uvc', 1n, jpegs[0]));
    raw.emit(frame('raw', 1n));
    const tap = new RigTap(recorder, {
      control_hz: 10,
      cameras: [
        { device: uvc, config: { ...base, name: 'uvc', type: 'uvc', width_px: 32, height_px: 24, depth: false } },
        { device: raw, config: { ...base, name: 'raw', type: 'scripted', width_px: 32, height_px: 24, depth: false } },
      ],
      privileged: false,
    });
    tap.attach();
    await recorder.startSession({ operator: '', rig_name: 'r', rig_config_json: '{}', app_version: 'test' });
    const id = await recorder.startEpisode({ task: '', target_fps_hz: 10, streams: tap.streams() });
    for (let i = 0; i < 3; i++) {
      const t = clock.advance_ms(100);
      uvc.emit(frame('uvc', t, jpegs[i]));
      raw.emit(frame('raw', t));
    }
    await tap.idle();
    await recorder.saveEpisode();
    await writer.close();

    const store = openStore({ dataDir, appVersion: 'test' });
    stores.push(store);
    const episodes = new EpisodeStore(store.db);
    const uvcStream = episodes.stream(id, 'camera.uvc.color');
    const rawStream = episodes.stream(id, 'camera.raw.color');
    expect([uvcStream.encoding, rawStream.encoding]).toEqual(['jpeg', 'png']);
    const stored = episodes.range(uvcStream, 0n, clock.now_ns());
    expect(stored.map((s) => Buffer.compare(Buffer.from(s.value), Buffer.from(jpegs[stored.indexOf(s)]!)))).toEqual([0, 0, 0]);
    const pngs = episodes.range(rawStream, 0n, clock.now_ns());
    expect(pngs).toHaveLength(3);
    expect([...pngs[0]!.value.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    expect(pngs.map((s) => s.t_ns)).toEqual([...pngs.map((s) => s.t_ns)].sort((a, b) => (a < b ? -1 : 1)));
  });
});

describe('rig tap: stream rates', () => {
  const tempDir = useTempDirs();
  test('state streams are declared at the rates the devices report (deoxys 100 Hz arm, 40 Hz hand), actions at the control rate', () => {
    const recorder = new Recorder({ writer: new InlineWriterClient({ dataDir: tempDir(), appVersion: 'test' }), clock: new ManualClock() });
    const arm = new RemoteArm({ name: 'arm', kind: 'arm', type: 'deoxys', features: {}, state_hz: 100 });
    const gripper = new RemoteGripper({ name: 'gripper', kind: 'gripper', type: 'franka-hand', features: {}, state_hz: 40 });
    const tap = new RigTap(recorder, { control_hz: 20, arm, gripper, cameras: [], privileged: false });
    const rate = (name: string) => tap.streams().find((stream) => stream.name === name)?.nominal_rate_hz;
    expect(rate('arm.q_rad')).toBe(100);
    expect(rate('gripper.width_m')).toBe(40);
    expect(rate('action.executed')).toBe(20);
  });
});
