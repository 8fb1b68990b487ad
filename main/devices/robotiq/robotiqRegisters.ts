/**
 * The Robotiq register map (§4.2): three command registers at 1000 (0x03E8) and three status
 * registers at 2000 (0x07D0), each holding two bytes, high byte first.
 */
export const COMMAND_REGISTER = 0x03e8;
export const STATUS_REGISTER = 0x07d0;
export const REGISTER_COUNT = 3;

export interface RobotiqCommand {
  rACT: boolean;
  rGTO: boolean;
  rATR: boolean;
  rARD: boolean;
  /** Position request, 0 = open … 255 = closed. */
  rPR: number;
  rSP: number;
  rFR: number;
}

export interface RobotiqStatus {
  gACT: boolean;
  gGTO: boolean;
  /** 0 reset / auto-release, 1 activation in progress, 3 activation complete. */
  gSTA: number;
  /** 0 moving, 1 contact while opening, 2 contact while closing, 3 at requested position. */
  gOBJ: number;
  gFLT: number;
  /** Controller fault nibble. */
  kFLT: number;
  gPR: number;
  gPO: number;
  gCU: number;
}

const byte = (value: number) => Math.max(0, Math.min(255, Math.round(value)));

export function actionByte(command: Pick<RobotiqCommand, 'rACT' | 'rGTO' | 'rATR' | 'rARD'>): number {
  return (command.rACT ? 1 : 0) | (command.rGTO ? 1 << 3 : 0) | (command.rATR ? 1 << 4 : 0) | (command.rARD ? 1 << 5 : 0);
}

export function encodeCommand(command: RobotiqCommand): number[] {
  return [actionByte(command) << 8, byte(command.rPR), (byte(command.rSP) << 8) | byte(command.rFR)];
}

export function decodeCommand(registers: readonly number[]): RobotiqCommand {
  const [r0 = 0, r1 = 0, r2 = 0] = registers;
  const action = r0 >>> 8;
  return {
    rACT: (action & 1) !== 0,
    rGTO: (action & 8) !== 0,
    rATR: (action & 16) !== 0,
    rARD: (action & 32) !== 0,
    rPR: r1 & 0xff,
    rSP: r2 >>> 8,
    rFR: r2 & 0xff,
  };
}

export function encodeStatus(status: RobotiqStatus): number[] {
  const statusByte = (status.gACT ? 1 : 0) | (status.gGTO ? 8 : 0) | ((status.gSTA & 3) << 4) | ((status.gOBJ & 3) << 6);
  return [
    statusByte << 8,
    ((((status.kFLT & 15) << 4) | (status.gFLT & 15)) << 8) | byte(status.gPR),
    (byte(status.gPO) << 8) | byte(status.gCU),
  ];
}

export function decodeStatus(registers: readonly number[]): RobotiqStatus {
  const [r0 = 0, r1 = 0, r2 = 0] = registers;
  const statusByte = r0 >>> 8;
  const faultByte = r1 >>> 8;
  return {
    gACT: (statusByte & 1) !== 0,
    gGTO: (statusByte & 8) !== 0,
    gSTA: (statusByte >>> 4) & 3,
    gOBJ: (statusByte >>> 6) & 3,
    gFLT: faultByte & 15,
    kFLT: faultByte >>> 4,
    gPR: r1 & 0xff,
    gPO: r2 >>> 8,
    gCU: r2 & 0xff,
  };
}

export const activationText: Readonly<Record<number, string>> = {
  0: 'reset (or automatic release)',
  1: 'activation in progress',
  2: 'not used',
  3: 'activated',
};

export const objectText: Readonly<Record<number, string>> = {
  0: 'moving',
  1: 'stopped on contact while opening',
  2: 'stopped on contact while closing (object grasped)',
  3: 'at the requested position (no object, or object lost)',
};

export interface FaultInfo {
  message: string;
  fix: string;
  /** Major faults need a rising edge on rACT (reset, then activate). */
  major: boolean;
}

const reactivate = 'Reset and activate again (`studio gripper robotiq --port DEV activate`).';

/** gFLT codes (§4.2, after pyRobotiqGripper), phrased for the operator. */
export const faultInfo: Readonly<Record<number, FaultInfo>> = {
  5: { message: 'action delayed: the gripper needs reactivation', fix: reactivate, major: false },
  7: {
    message: 'the activation bit is not set, so the gripper ignored a motion command',
    fix: 'Activate the gripper before moving it.',
    major: false,
  },
  8: { message: 'over-temperature', fix: 'Let the gripper cool down; reduce force or duty cycle.', major: false },
  9: { message: 'no communication for at least 1 second', fix: 'Poll continuously; check the RS-485 cable if this repeats.', major: false },
  10: { message: 'under-voltage', fix: `Check the 24 V supply and its wiring under load. ${reactivate}`, major: true },
  11: { message: 'automatic release in progress', fix: `Wait for the release to finish. ${reactivate}`, major: true },
  12: { message: 'internal fault', fix: `Power-cycle the gripper; contact Robotiq support if it persists. ${reactivate}`, major: true },
  13: { message: 'activation fault', fix: `Make sure nothing blocks the fingers during activation. ${reactivate}`, major: true },
  14: { message: 'over-current', fix: `Check for a jammed finger or a collision. ${reactivate}`, major: true },
  15: { message: 'automatic release completed', fix: reactivate, major: true },
};

export function describeFault(code: number): FaultInfo | undefined {
  if (code === 0) return undefined;
  return (
    faultInfo[code] ?? { message: `unknown fault code ${code}`, fix: `${reactivate} If it persists, power-cycle the gripper.`, major: true }
  );
}
