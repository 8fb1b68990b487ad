import type { Transferable } from 'node:worker_threads';
import { StudioError } from '../../../shared/api/errors';
import { ImaginationCancelled } from '../engine';
import { ImaginationService } from '../imaginationService';
import type { FromImagination, ImaginationErrorDetail, ToImagination } from './imaginationProtocol';

function errorDetail(error: unknown): ImaginationErrorDetail {
  if (error instanceof ImaginationCancelled) return { message: error.message, cancelled: true };
  if (error instanceof StudioError)
    return { message: error.message, code: error.code, ...(error.fix !== undefined ? { fix: error.fix } : {}) };
  return { message: (error as Error).message ?? String(error), code: 'internal' };
}

/**
 * The imagination worker's requests, one service at a time. Requests run concurrently as they arrive
 * (onnxruntime runs graphs on its own threads), but only the newest `imagine` is wanted: each new one
 * bumps the generation, and an older one stops at its next graph call.
 */
export class ImaginationHost {
  private service: ImaginationService | undefined;
  private generation = 0;

  constructor(private readonly post: (message: FromImagination, transfer: Transferable[]) => void) {}

  private require(): ImaginationService {
    if (this.service === undefined)
      throw new StudioError({ code: 'failed_precondition', message: 'no world-model pack is open', fix: 'Open a pack first.' });
    return this.service;
  }

  handle(message: ToImagination): void {
    this.run(message).then(
      ({ result, transfer }) => this.post({ id: message.id, ok: true, result }, transfer),
      (error: unknown) => this.post({ id: message.id, ok: false, error: errorDetail(error) }, []),
    );
  }

  private async run(message: ToImagination): Promise<{ result: unknown; transfer: Transferable[] }> {
    switch (message.op) {
      case 'open':
        this.service = await ImaginationService.open(message.args.dir, message.args.provider);
        return { result: this.service.info, transfer: [] };
      case 'observe':
        return { result: await this.require().observe(message.args), transfer: [] };
      case 'imagine': {
        const generation = ++this.generation;
        const superseded = () => generation !== this.generation;
        const cancel = {
          get cancelled() {
            return superseded();
          },
        };
        const result = await this.require().imagine(message.args, cancel);
        const arrays = [
          result.actions,
          result.latents,
          result.success_prob,
          result.success_logit,
          result.progress,
          ...(result.gaussians !== null ? [result.gaussians] : []),
        ];
        const transfer = [...new Set(arrays.map((array) => array.buffer as ArrayBuffer))];
        // The observed Gaussians stay in the service's history: send copies.
        return {
          result: {
            ...result,
            observed_latent: result.observed_latent.slice(),
            observed_gaussians: result.observed_gaussians.slice(),
            observed_mask: result.observed_mask.slice(),
          },
          transfer,
        };
      }
      case 'propose': {
        const chunks = await this.require().propose(message.args.K, message.args.seed, message.args.temperature);
        return { result: chunks, transfer: [chunks.buffer as ArrayBuffer] };
      }
      case 'lift': {
        const lifted = this.require().liftOnly(message.args);
        return { result: lifted, transfer: [lifted.gaussians.buffer as ArrayBuffer, lifted.mask.buffer as ArrayBuffer] };
      }
      case 'decode': {
        const gaussians = await this.require().decode(message.args.now, message.args.latents, message.args.observed);
        return { result: gaussians, transfer: [gaussians.buffer as ArrayBuffer] };
      }
      case 'reset':
        this.require().reset();
        return { result: null, transfer: [] };
      case 'close':
        this.service = undefined;
        return { result: null, transfer: [] };
    }
  }
}
