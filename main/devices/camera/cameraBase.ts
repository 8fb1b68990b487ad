import { z } from 'zod';
import { cameraConfigSchema, type Pose } from '../../../shared/rig/rigConfig';
import { mat4FromRotationTranslation, rotationFromQuaternion } from '../../../shared/robot/rotation';
import type { Camera, CameraFrame, DeviceStatus, Features, Mat4 } from '../types';
import { captureError, type DeviceError } from './captureErrors';

/** Options every ffmpeg camera shares: the rig-config camera entry (minus `type`) plus start-up patience. */
export const ffmpegCameraBaseOptions = cameraConfigSchema.omit({ type: true }).extend({
  /** `connect()` fails when the first frame takes longer than this. */
  first_frame_timeout_ms: z.number().int().min(100).max(120_000).default(5000),
});

export function poseMat4(pose: Pose): Mat4 {
  return mat4FromRotationTranslation(rotationFromQuaternion(pose.rotation_wxyz), pose.translation_m);
}

/**
 * What UVC and RealSense cameras share: listeners, the latest frame, status with the operator-facing
 * error, and the listener for status changes the UI (and tests) wait on instead of polling.
 */
export abstract class FfmpegCameraBase implements Camera {
  readonly kind = 'camera';
  abstract readonly type: string;
  protected connected = false;
  protected lastError: DeviceError | undefined;
  /** Bumped by every disconnect(), so a start that it cut short does not report an error. */
  protected epoch = 0;
  private last: CameraFrame | undefined;
  private readonly frameListeners = new Set<(frame: CameraFrame) => void>();
  private readonly statusListeners = new Set<(status: DeviceStatus) => void>();

  constructor(readonly name: string) {}

  private connecting: Promise<void> | undefined;

  /** Starts capture and resolves at the first frame; a second call while starting waits for the first. */
  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    this.connecting ??= this.start().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Starts the capture processes; rejects with the explained reason. */
  protected abstract start(): Promise<void>;
  abstract disconnect(): Promise<void>;
  abstract features(): Features;

  status(): DeviceStatus {
    return this.lastError === undefined ? { connected: this.connected } : { connected: this.connected, error: this.lastError };
  }

  latest(): CameraFrame | undefined {
    return this.last;
  }

  onFrame(listener: (frame: CameraFrame) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  /** Every change of `status()`: connected, disconnected, an error (e.g. the camera was unplugged). */
  onStatus(listener: (status: DeviceStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Throws when disconnect() was called since `epoch`: the start in progress is called off. */
  protected throwIfCalledOff(epoch: number): void {
    if (epoch !== this.epoch)
      throw captureError({
        message: `camera "${this.name}": capture was stopped before the first frame`,
        fix: 'Connect the camera again.',
      });
  }

  protected setStatus(connected: boolean, error: DeviceError | undefined): void {
    this.connected = connected;
    this.lastError = error;
    const status = this.status();
    for (const listener of this.statusListeners) listener(status);
  }

  protected publish(frame: CameraFrame): void {
    this.last = frame;
    for (const listener of this.frameListeners) listener(frame);
  }
}
