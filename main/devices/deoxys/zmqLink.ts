import { Subscriber, XPublisher } from 'zeromq';
import { StudioError } from '../../../shared/api/errors';

/**
 * The two socket roles of deoxys's links (spec §1.1): each side binds its own PUB and connects its SUB
 * to the other side's PUB; no topics; one protobuf per single-frame message.
 */

function bindFailure(endpoint: string, error: unknown, who: string): StudioError {
  const code = (error as { code?: string }).code;
  if (code === 'EADDRINUSE') {
    return new StudioError({
      code: 'failed_precondition',
      message: `${who}: ${endpoint} is already in use`,
      fix: 'Another deoxys client (e.g. a Python FrankaInterface) or studio is bound to this port on this machine: stop it, or configure another port base on both sides.',
    });
  }
  return new StudioError({
    code: 'unavailable',
    message: `${who}: cannot bind ${endpoint}: ${(error as Error).message}`,
    fix: 'Check the bind address is an address of this machine.',
  });
}

/**
 * A bound PUB socket whose sends never overlap (zeromq.js refuses a send while one is pending). It is
 * an XPUB, which is a PUB on the wire but also reports subscriptions: the driver can tell "the NUC
 * has connected to us" apart from "nobody listens" (the usual PC.IP mistake), and never loses its
 * first commands to ZeroMQ's slow-joiner drop.
 */
export class LinkPublisher {
  private readonly socket = new XPublisher({ linger: 0, sendHighWaterMark: 100 });
  private pending: Promise<void> = Promise.resolve();
  private closed = false;
  private subscriberCount = 0;
  private readonly subscriptionWaiters = new Set<() => void>();
  sent = 0;

  constructor(
    readonly endpoint: string,
    private readonly who: string,
  ) {}

  async bind(): Promise<void> {
    try {
      await this.socket.bind(this.endpoint);
    } catch (error) {
      this.socket.close();
      this.closed = true;
      throw bindFailure(this.endpoint, error, this.who);
    }
    void this.watchSubscriptions();
  }

  private async watchSubscriptions(): Promise<void> {
    while (!this.closed) {
      let frame: Buffer | undefined;
      try {
        [frame] = await this.socket.receive();
      } catch {
        return;
      }
      // XPUB frames: 0x01 + topic = subscribe, 0x00 + topic = unsubscribe.
      if (frame?.[0] === 1) {
        this.subscriberCount++;
        for (const wake of this.subscriptionWaiters) wake();
        this.subscriptionWaiters.clear();
      } else if (frame?.[0] === 0) {
        this.subscriberCount = Math.max(0, this.subscriberCount - 1);
      }
    }
  }

  hasSubscriber(): boolean {
    return this.subscriberCount > 0;
  }

  /** Resolves true once a subscriber (the NUC) is connected, false after `timeout_ms`. */
  waitForSubscriber(timeout_ms: number): Promise<boolean> {
    if (this.subscriberCount > 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.subscriptionWaiters.delete(wake);
        resolve(false);
      }, timeout_ms);
      this.subscriptionWaiters.add(wake);
    });
  }

  send(bytes: Uint8Array): Promise<void> {
    const next = this.pending.then(async () => {
      if (this.closed) return;
      await this.socket.send(bytes);
      this.sent++;
    });
    this.pending = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.pending;
    this.closed = true;
    this.socket.close();
  }
}

export interface SubscriberStats {
  received: number;
  decode_errors: number;
  last_decode_error: string | undefined;
}

/**
 * A connected SUB socket (subscribed to everything) that hands each frame to `handle`; a frame that
 * throws is counted and reported, and the link keeps reading.
 */
export class LinkSubscriber {
  private readonly socket: Subscriber;
  private closed = false;
  private loop: Promise<void> | undefined;
  readonly stats: SubscriberStats = { received: 0, decode_errors: 0, last_decode_error: undefined };

  constructor(
    readonly endpoint: string,
    private readonly handle: (frame: Buffer) => void,
    private readonly onDecodeError: (error: Error) => void = () => undefined,
    options: { conflate: boolean } = { conflate: true },
  ) {
    this.socket = new Subscriber({ linger: 0, conflate: options.conflate });
  }

  connect(): void {
    this.socket.connect(this.endpoint);
    this.socket.subscribe();
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch (error) {
        if (this.closed) return;
        // Only closing ends a receive; anything else is unexpected but must not kill the link.
        this.stats.decode_errors++;
        this.stats.last_decode_error = `receive failed on ${this.endpoint}: ${(error as Error).message}`;
        continue;
      }
      const frame = frames[0];
      if (frame === undefined) continue;
      this.stats.received++;
      try {
        this.handle(frame);
      } catch (error) {
        this.stats.decode_errors++;
        const message = `${(error as Error).message} (from ${this.endpoint})`;
        this.stats.last_decode_error = message;
        this.onDecodeError(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    await this.loop?.catch(() => undefined);
  }
}
