import { MujocoFrankaBackend, type MujocoBackendOptions } from './mujocoBackend';
import { DeoxysSimServer, type DeoxysSimServerOptions } from './simServer';
import type { DeoxysPorts } from './ports';

export interface SimBridgeOptions {
  /** `NUC.SUB_PORT`; the bridge binds PUB_PORT (base+1) and GRIPPER_PUB_PORT (base+3). */
  port_base: number;
  /** Where the state PUBs bind (deoxys binds `*`; default 127.0.0.1). */
  host?: string;
  /** `PC.IP`: the workstation whose command PUBs the bridge connects to (default 127.0.0.1). */
  pc_ip?: string;
  /** Scene seed (cube pose and colour). */
  seed?: number;
  /** Another MJCF with the same body/joint names. */
  model?: { xml: string; file: string };
  /** Server rates and the restart delay (defaults: deoxys's). */
  server?: Partial<Omit<DeoxysSimServerOptions, 'backend' | 'port_base' | 'bind_ip' | 'pc_ip'>>;
  backend?: Omit<MujocoBackendOptions, 'xml' | 'file' | 'seed'>;
}

export interface SimBridge {
  readonly server: DeoxysSimServer;
  readonly backend: MujocoFrankaBackend;
  readonly ports: DeoxysPorts;
  /** Unbinds, disconnects and frees the MuJoCo model. */
  close(): Promise<void>;
}

/**
 * The simulated NUC backed by the MuJoCo Franka rig: `DeoxysSimServer` (sockets, watchdog, controller
 * switching, OSC goals) over `MujocoFrankaBackend` (physics), in this process. Physics is stepped from
 * the server's 100 Hz state timer by the wall time since the previous step (~10 ms, 10 physics steps,
 * well under a millisecond on one core), so every state the server publishes is fresh physics and sim
 * time tracks the clock.
 */
export async function startSimBridge(options: SimBridgeOptions): Promise<SimBridge> {
  const backend = await MujocoFrankaBackend.create({ ...options.backend, ...options.model, seed: options.seed ?? 0 });
  const server = new DeoxysSimServer({
    ...options.server,
    backend,
    port_base: options.port_base,
    bind_ip: options.host ?? '127.0.0.1',
    pc_ip: options.pc_ip ?? '127.0.0.1',
  });
  try {
    await server.start();
  } catch (error) {
    backend.dispose();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    server,
    backend,
    ports: server.ports,
    close: () =>
      (closing ??= (async () => {
        await server.close();
        backend.dispose();
      })()),
  };
}
