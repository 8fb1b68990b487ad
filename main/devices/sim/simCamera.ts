import type { SimCameraImage, SimCameraSpec } from '../../sim/cameraRig';
import type { Camera, CameraFrame, DeviceStatus, Features } from '../types';
import { simErrorStatus } from './deviceStatus';
import type { SimSession } from './simSession';

/** `sim-camera`: an RGB-D + segmentation camera rendered by ray casting in the sim worker. */
export class SimCamera implements Camera {
  readonly kind = 'camera';
  readonly type = 'sim-camera';
  private connected = false;
  private lastError: Error | undefined;
  private last: CameraFrame | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly listeners = new Set<(frame: CameraFrame) => void>();

  constructor(
    readonly name: string,
    readonly spec: SimCameraSpec,
    private readonly session: SimSession,
  ) {}

  async connect(): Promise<void> {
    if (this.connected) return;
    try {
      await this.session.acquire();
      this.unsubscribe = this.session.onFrame(this.receive);
      await this.session.request('addCamera', this.spec);
      this.lastError = undefined;
      this.connected = true;
    } catch (error) {
      this.unsubscribe?.();
      this.lastError = error as Error;
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.session.request('removeCamera', this.spec.name).catch(() => null);
    await this.session.release();
  }

  status(): DeviceStatus {
    const error = this.lastError ?? this.session.error;
    return error === undefined ? { connected: this.connected } : { connected: false, error: simErrorStatus(error) };
  }

  features(): Features {
    const { height_px: h, width_px: w } = this.spec;
    return {
      [`observation.images.${this.name}`]: { dtype: 'uint8', shape: [h, w, 3], names: ['height', 'width', 'channel'] },
      [`observation.depth.${this.name}`]: { dtype: 'uint16', shape: [h, w], names: ['height', 'width'], unit: 'mm' },
      [`observation.segmentation.${this.name}`]: { dtype: 'int32', shape: [h, w], names: ['height', 'width'], unit: 'MuJoCo geom id' },
    };
  }

  latest(): CameraFrame | undefined {
    return this.last;
  }

  onFrame(listener: (frame: CameraFrame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private readonly receive = (image: SimCameraImage, capture_ns: bigint): void => {
    if (image.camera !== this.spec.name) return;
    const frame: CameraFrame = {
      camera: this.name,
      capture_ns,
      width_px: image.width_px,
      height_px: image.height_px,
      rgb: image.rgb,
      depth_mm: image.depth_mm,
      segmentation: image.segmentation,
      intrinsics: image.intrinsics,
      world_from_camera: image.world_from_camera,
    };
    this.last = frame;
    for (const listener of this.listeners) listener(frame);
  };
}
