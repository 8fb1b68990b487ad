import type WebSocket from 'ws';

/**
 * One client websocket as what openpi's request/reply protocol needs: the next frame, or the end of the
 * connection, or nothing within a deadline — as values, never as exceptions, so the client decides what
 * each one means.
 */
export type SocketFrame = { kind: 'binary'; bytes: Uint8Array } | { kind: 'text'; text: string };
export interface SocketEnd {
  kind: 'end';
  /** Close code (1006 when the connection just dropped or never opened). */
  code: number;
  reason: string;
  /** The transport error behind the end, when there was one (ECONNREFUSED, an HTTP status, …). */
  error: Error | undefined;
}
export type SocketWait = SocketFrame | SocketEnd | { kind: 'timeout' };

function bytesOf(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

export class SocketFrames {
  private readonly frames: SocketFrame[] = [];
  private waiter: ((outcome: SocketFrame | SocketEnd) => void) | undefined;
  private end: SocketEnd | undefined;
  private error: Error | undefined;
  private opened = false;
  private readonly openWaiters: ((outcome: 'open' | SocketEnd) => void)[] = [];

  constructor(readonly socket: WebSocket) {
    socket.on('open', () => {
      this.opened = true;
      for (const resolve of this.openWaiters.splice(0)) resolve('open');
    });
    socket.on('message', (data, isBinary) =>
      this.deliver(
        isBinary ? { kind: 'binary', bytes: bytesOf(data) } : { kind: 'text', text: Buffer.from(bytesOf(data)).toString('utf8') },
      ),
    );
    // 'error' comes before 'close'; the end carries it.
    socket.on('error', (error) => {
      this.error ??= error;
    });
    socket.on('close', (code, reason) => this.finish({ kind: 'end', code, reason: reason.toString('utf8'), error: this.error }));
  }

  get ended(): SocketEnd | undefined {
    return this.end;
  }

  /** The websocket handshake's outcome: open, or the end (refused, HTTP error, dropped), or a timeout. */
  waitOpen(timeout_ms: number): Promise<'open' | SocketEnd | { kind: 'timeout' }> {
    if (this.opened) return Promise.resolve('open');
    if (this.end !== undefined) return Promise.resolve(this.end);
    return new Promise((resolve) => {
      const settle = (outcome: 'open' | SocketEnd | { kind: 'timeout' }): void => {
        clearTimeout(timer);
        const at = this.openWaiters.indexOf(settle);
        if (at >= 0) this.openWaiters.splice(at, 1);
        resolve(outcome);
      };
      const timer = setTimeout(() => settle({ kind: 'timeout' }), timeout_ms);
      this.openWaiters.push(settle);
    });
  }

  /** The next frame, the end, or `timeout` after `timeout_ms` (a frame arriving later is kept for the next call). */
  next(timeout_ms: number): Promise<SocketWait> {
    const queued = this.frames.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.end !== undefined) return Promise.resolve(this.end);
    if (this.waiter !== undefined) throw new Error('SocketFrames.next: one wait at a time');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve({ kind: 'timeout' });
      }, timeout_ms);
      this.waiter = (outcome) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(outcome);
      };
    });
  }

  private deliver(frame: SocketFrame): void {
    if (this.waiter !== undefined) this.waiter(frame);
    else this.frames.push(frame);
  }

  private finish(end: SocketEnd): void {
    if (this.end !== undefined) return;
    this.end = end;
    for (const resolve of this.openWaiters.splice(0)) resolve(end);
    this.waiter?.(end);
  }
}
