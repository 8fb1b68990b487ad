import { createServer } from 'node:net';

/**
 * The four deoxys PUB/SUB ports, named after the YAML keys of `deoxys/config/*.yml`. The default
 * layout is relative to `NUC.SUB_PORT` (5555): commands at base, state at base+1, gripper commands at
 * base+2, gripper state at base+3.
 */
export interface DeoxysPorts {
  /** `NUC.SUB_PORT`: the workstation binds its arm-command PUB here; the NUC connects. */
  SUB_PORT: number;
  /** `NUC.PUB_PORT`: the NUC binds its robot-state PUB here; the workstation connects. */
  PUB_PORT: number;
  /** `NUC.GRIPPER_SUB_PORT`: gripper commands, bound by the workstation. */
  GRIPPER_SUB_PORT: number;
  /** `NUC.GRIPPER_PUB_PORT`: gripper state, bound by the NUC. */
  GRIPPER_PUB_PORT: number;
}

export const DEOXYS_DEFAULT_PORT_BASE = 5555;

export function deoxysPorts(base: number = DEOXYS_DEFAULT_PORT_BASE): DeoxysPorts {
  return { SUB_PORT: base, PUB_PORT: base + 1, GRIPPER_SUB_PORT: base + 2, GRIPPER_PUB_PORT: base + 3 };
}

function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A base port whose four-port block is free on `host` right now (for tests and a local simulated
 * NUC). Another process can still take a port before it is bound; callers bind at once.
 */
export async function findFreePortBase(host = '127.0.0.1', attempts = 50): Promise<number> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const base = 20_000 + 4 * Math.floor(Math.random() * 10_000);
    const checks = await Promise.all([0, 1, 2, 3].map((offset) => portIsFree(base + offset, host)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error(`no block of four free TCP ports found on ${host} after ${attempts} attempts`);
}
