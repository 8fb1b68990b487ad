import type { StreamHeader, StreamName } from '../../shared/api/contract';
import { encodeStreamFrame } from '../../shared/api/streamFrame';

/** A connection that can receive binary frames (a WebSocket, an Electron webContents). */
export interface StreamSink {
  readonly id: string;
  /** Bytes queued but not yet sent; frames are dropped for this sink while it is above the limit. */
  bufferedBytes(): number;
  send(bytes: Uint8Array): void;
}

export interface StreamStats {
  sent: number;
  dropped: number;
}

/**
 * Fans stream frames out to subscribed connections. Producers publish the newest value; a sink that has
 * fallen behind misses frames (counted) instead of building a queue, so a slow UI sees fresh data and
 * never slows a producer. The recorder does not use this path: it never drops.
 */
export class StreamHub {
  private readonly subscriptions = new Map<StreamName, Map<string, StreamSink>>();
  private readonly stats = new Map<StreamName, StreamStats>();

  constructor(private readonly maxBufferedBytes = 4 * 1024 * 1024) {}

  subscribe(stream: StreamName, sink: StreamSink): void {
    let sinks = this.subscriptions.get(stream);
    if (sinks === undefined) {
      sinks = new Map();
      this.subscriptions.set(stream, sinks);
    }
    sinks.set(sink.id, sink);
  }

  unsubscribe(stream: StreamName, sinkId: string): void {
    this.subscriptions.get(stream)?.delete(sinkId);
  }

  /** Forgets a connection everywhere, e.g. when its socket closes. */
  removeSink(sinkId: string): void {
    for (const sinks of this.subscriptions.values()) sinks.delete(sinkId);
  }

  hasSubscribers(stream: StreamName): boolean {
    return (this.subscriptions.get(stream)?.size ?? 0) > 0;
  }

  publish<S extends StreamName>(stream: S, header: StreamHeader<S>, payload: Uint8Array): void {
    const sinks = this.subscriptions.get(stream);
    if (sinks === undefined || sinks.size === 0) return;
    const stats = this.statsOf(stream);
    let bytes: Uint8Array | undefined;
    for (const sink of sinks.values()) {
      if (sink.bufferedBytes() > this.maxBufferedBytes) {
        stats.dropped += 1;
        continue;
      }
      bytes ??= encodeStreamFrame({ stream, header: header as Record<string, unknown>, payload });
      sink.send(bytes);
      stats.sent += 1;
    }
  }

  statsOf(stream: StreamName): StreamStats {
    let stats = this.stats.get(stream);
    if (stats === undefined) {
      stats = { sent: 0, dropped: 0 };
      this.stats.set(stream, stats);
    }
    return stats;
  }
}
