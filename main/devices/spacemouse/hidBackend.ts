/**
 * The few HID calls the SpaceMouse driver needs, behind an interface so tests feed recorded report
 * streams and the real thing uses node-hid. node-hid is loaded lazily: a studio without HID support
 * (or with a mismatched native build) still starts, and says so only when a SpaceMouse is used.
 */
export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  product?: string | undefined;
  interface?: number | undefined;
  usagePage?: number | undefined;
  usage?: number | undefined;
}

export interface HidConnection {
  /** Each input report, byte 0 = report ID. */
  onData(listener: (report: Uint8Array) => void): void;
  /** Read errors, including the device being unplugged. */
  onError(listener: (error: Error) => void): void;
  close(): Promise<void>;
}

export interface HidBackend {
  devices(): Promise<HidDeviceInfo[]>;
  open(path: string): Promise<HidConnection>;
}

export const nodeHidBackend: HidBackend = {
  async devices() {
    const hid = await import('node-hid');
    return hid.devicesAsync();
  },
  async open(path) {
    const hid = await import('node-hid');
    const device = await hid.HIDAsync.open(path);
    return {
      onData: (listener) => device.on('data', (data: Buffer) => listener(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))),
      onError: (listener) => device.on('error', (error: unknown) => listener(error instanceof Error ? error : new Error(String(error)))),
      close: async () => {
        device.removeAllListeners();
        await device.close().catch(() => undefined);
      },
    };
  },
};
