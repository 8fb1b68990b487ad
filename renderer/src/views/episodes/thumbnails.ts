import type { StudioClient } from '../../../../shared/api/client';

/** The newest instant a latest-at lookup can ask for: the last frame of the episode. */
const END_OF_TIME_NS = '9223372036854775807';
const CONCURRENCY = 4;

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Row thumbnails: the last colour frame of one camera (the end of a take shows how it went), fetched
 * only for rows on screen, a few at a time, and kept as object URLs for the session.
 */
export class ThumbnailCache {
  private readonly urls = new Map<number, string | null>();
  private readonly waiting: number[] = [];
  private readonly queued = new Set<number>();
  private running = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly studio: StudioClient,
    private readonly stream: string | null,
  ) {}

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** undefined: not loaded yet; null: the episode has no frame to show. */
  get(id: number): string | null | undefined {
    return this.urls.get(id);
  }

  want(ids: readonly number[]): void {
    if (this.stream === null) return;
    for (const id of ids) {
      if (this.urls.has(id) || this.queued.has(id)) continue;
      this.queued.add(id);
      this.waiting.push(id);
    }
    this.pump();
  }

  dispose(): void {
    for (const url of this.urls.values()) if (url !== null) URL.revokeObjectURL(url);
    this.urls.clear();
    this.waiting.length = 0;
  }

  private pump(): void {
    while (this.running < CONCURRENCY && this.waiting.length > 0) {
      // Newest requests first: they are the rows the user scrolled to.
      const id = this.waiting.pop()!;
      this.running++;
      void this.load(id).finally(() => {
        this.running--;
        this.queued.delete(id);
        this.pump();
      });
    }
  }

  private async load(id: number): Promise<void> {
    let url: string | null = null;
    try {
      const frame = await this.studio.api.episodes.frame({ id, stream: this.stream!, t_ns: END_OF_TIME_NS });
      if (frame !== null)
        url = URL.createObjectURL(
          new Blob([base64ToBytes(frame.data_base64) as BlobPart], { type: frame.encoding === 'jpeg' ? 'image/jpeg' : 'image/png' }),
        );
    } catch {
      // An episode without this camera gets a placeholder, not an error per row.
    }
    this.urls.set(id, url);
    for (const listener of this.listeners) listener();
  }
}
