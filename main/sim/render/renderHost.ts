import { CameraRig } from '../cameraRig';
import { SimEngine } from '../engine';
import { toWorkerError } from '../workerProtocol';
import type { RenderRequest, RenderResponse } from './renderProtocol';

/** Everything the render worker does, without the worker (renderWorker.ts binds it to its port). */
export class RenderHost {
  private engine: SimEngine | undefined;
  private cameras: CameraRig | undefined;

  constructor(private readonly post: (message: RenderResponse, transfer?: ArrayBuffer[]) => void) {}

  async handle(request: RenderRequest): Promise<void> {
    try {
      const result = await this.dispatch(request);
      if (request.op === 'render' && result !== null) {
        const { rgb, depth_mm, segmentation } = result;
        this.post({ id: request.id, ok: true, result }, [
          rgb.buffer as ArrayBuffer,
          depth_mm.buffer as ArrayBuffer,
          segmentation.buffer as ArrayBuffer,
        ]);
      } else {
        this.post({ id: request.id, ok: true, result });
      }
    } catch (error) {
      this.post({ id: request.id, ok: false, error: toWorkerError(error) });
    }
  }

  private async dispatch(request: RenderRequest) {
    switch (request.op) {
      case 'init': {
        const engine = await SimEngine.load(request.args.xml, request.args.file);
        engine.reset(request.args.seed);
        this.engine = engine;
        this.cameras = new CameraRig(engine);
        return null;
      }
      case 'addCamera':
        this.need().add(request.args);
        return null;
      case 'removeCamera':
        this.need().remove(request.args);
        return null;
      case 'reset':
        this.engine?.reset(request.args);
        this.need().refreshColours();
        return null;
      case 'render':
        return this.need().renderJob(request.args);
      case 'close':
        this.cameras?.dispose();
        this.engine?.dispose();
        this.cameras = this.engine = undefined;
        return null;
    }
  }

  private need(): CameraRig {
    if (this.cameras === undefined) throw new Error('the render worker is not initialised');
    return this.cameras;
  }
}
