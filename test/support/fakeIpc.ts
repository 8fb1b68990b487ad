import type { IpcMain, IpcMainInvokeEvent } from 'electron';

type InvokeHandler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

/** Just enough of ipcMain for the IPC router: handle/removeHandler, and a way to invoke like a renderer would. */
export function fakeIpcMain(): IpcMain & {
  handlers: Map<string, InvokeHandler>;
  invoke(channel: string, event: IpcMainInvokeEvent, ...args: unknown[]): Promise<unknown>;
} {
  const handlers = new Map<string, InvokeHandler>();
  const fake = {
    handlers,
    handle(channel: string, handler: InvokeHandler) {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, handler);
    },
    removeHandler(channel: string) {
      handlers.delete(channel);
    },
    async invoke(channel: string, event: IpcMainInvokeEvent, ...args: unknown[]) {
      const handler = handlers.get(channel);
      if (handler === undefined) throw new Error(`No handler registered for '${channel}'`);
      return handler(event, ...args);
    },
  };
  return fake as unknown as ReturnType<typeof fakeIpcMain>;
}

export interface SentMessage {
  channel: string;
  args: unknown[];
}

/** An invoke event from a frame at `url`; `parent` makes it a sub-frame. */
export function fakeInvokeEvent(
  url: string,
  options: { parent?: boolean; contentsId?: number } = {},
): IpcMainInvokeEvent & { sent: SentMessage[]; destroy(): void } {
  const sent: SentMessage[] = [];
  const onDestroyed: (() => void)[] = [];
  const sender = {
    id: options.contentsId ?? 1,
    send: (channel: string, ...args: unknown[]) => sent.push({ channel, args }),
    isDestroyed: () => false,
    once: (name: string, listener: () => void) => {
      if (name === 'destroyed') onDestroyed.push(listener);
    },
  };
  const event = {
    sender,
    senderFrame: { url, parent: options.parent === true ? {} : null },
    sent,
    destroy: () => onDestroyed.forEach((listener) => listener()),
  };
  return event as unknown as ReturnType<typeof fakeInvokeEvent>;
}
