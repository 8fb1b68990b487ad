import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import { StudioError } from '../../../shared/api/errors';
import { explainOpenError } from './serialErrors';

export interface SerialLinkOptions {
  path: string;
  baud: number;
  /** Named in errors, e.g. `Robotiq gripper (slave 9)`. */
  device: string;
  /** After the line drops, try to reopen this often until `close()`. 0 disables reconnection. */
  reconnect_interval_ms: number;
}

interface SerialLinkEvents {
  data: [Buffer];
  /** The port is open (first time or after a reconnect). */
  open: [];
  /** The line dropped (cable pulled, adapter reset); a reconnect follows when enabled. */
  drop: [StudioError];
}

/**
 * One serial port that survives the line dropping: a USB adapter that is pulled and plugged back in
 * comes back under the same path, so the link reopens that path until it succeeds. Writes while the
 * line is down fail at once with the reason, so a caller never waits on a dead port.
 */
export class SerialLink extends EventEmitter<SerialLinkEvents> {
  private port: SerialPort | undefined;
  private closed = true;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastError: StudioError | undefined;

  constructor(readonly options: SerialLinkOptions) {
    super();
  }

  get isOpen(): boolean {
    return this.port?.isOpen === true;
  }

  /** Why the link is down, when it is. */
  get error(): StudioError | undefined {
    return this.isOpen ? undefined : this.lastError;
  }

  /** Opens the port; rejects with an explained error (permissions, missing device, busy). */
  async open(): Promise<void> {
    this.closed = false;
    await this.openPort();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen === true) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  async write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (port === undefined || !port.isOpen) {
      throw this.lastError ?? explainOpenError(this.options.path, this.options.device, new Error('port is not open'));
    }
    await new Promise<void>((resolve, reject) => {
      port.write(Buffer.from(bytes), (error) =>
        error ? reject(explainOpenError(this.options.path, this.options.device, error)) : resolve(),
      );
    });
  }

  private openPort(): Promise<void> {
    const { path, baud, device } = this.options;
    const port = new SerialPort({ path, baudRate: baud, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
    return new Promise<void>((resolve, reject) => {
      port.open((error) => {
        if (error) {
          this.lastError = explainOpenError(path, device, error);
          reject(this.lastError);
          return;
        }
        if (this.closed) {
          port.close();
          resolve();
          return;
        }
        this.port = port;
        this.lastError = undefined;
        port.on('data', (chunk: Buffer) => this.emit('data', chunk));
        // Errors also arrive as 'close' with `disconnected`; the listener keeps them from being thrown.
        port.on('error', () => undefined);
        port.on('close', () => this.onPortClosed(port));
        this.emit('open');
        resolve();
      });
    });
  }

  private onPortClosed(port: SerialPort): void {
    if (this.port !== port) return;
    this.port = undefined;
    if (this.closed) return;
    const { path, device } = this.options;
    this.lastError = new StudioError({
      code: 'unavailable',
      message: `the line to ${device} on ${path} dropped`,
      fix: 'Check the USB cable and the adapter; the studio reopens the port by itself when it comes back.',
    });
    this.emit('drop', this.lastError);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.options.reconnect_interval_ms <= 0) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.openPort().catch(() => this.scheduleReconnect());
    }, this.options.reconnect_interval_ms);
  }
}
