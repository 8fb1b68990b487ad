import { describe, expect, test } from 'vitest';
import { COMMAND_REGISTER, STATUS_REGISTER, decodeStatus, encodeCommand } from '../../../main/devices/robotiq/robotiqRegisters';
import { RobotiqSimModel } from '../../../main/devices/robotiq/robotiqSimModel';
import type { ModbusResponse } from '../../../main/devices/robotiq/modbusRtuFrame';

function manualClock() {
  let now_ns = 0n;
  return { now_ns: () => now_ns, advance_s: (s: number) => (now_ns += BigInt(Math.round(s * 1e9))) };
}

function rig(options: { object_at_count?: number } = {}) {
  const clock = manualClock();
  const model = new RobotiqSimModel({ clock, activation_duration_s: 1, ...options });
  const write = (rACT: boolean, rGTO: boolean, rPR = 0, rSP = 255, rFR = 128) =>
    model.handle({
      kind: 'write_multiple',
      slave_id: 9,
      start: COMMAND_REGISTER,
      values: encodeCommand({ rACT, rGTO, rATR: false, rARD: false, rPR, rSP, rFR }),
    });
  return { clock, model, write };
}

describe('simulated Robotiq slave', () => {
  test('activation: in progress, the fingers travel, then activated and open', () => {
    const { clock, model, write } = rig();
    expect(model.status()).toMatchObject({ gACT: false, gSTA: 0 });
    write(true, false);
    expect(model.status()).toMatchObject({ gACT: true, gSTA: 1 });
    clock.advance_s(0.5);
    expect(model.status().gPO).toBe(255);
    clock.advance_s(0.6);
    expect(model.status()).toMatchObject({ gSTA: 3, gPO: 0, gFLT: 0 });
  });

  test('motion takes time at the commanded speed and ends with gOBJ = 3', () => {
    const { clock, model, write } = rig();
    write(true, false);
    clock.advance_s(1);
    write(true, true, 255, 255);
    expect(model.status().gOBJ).toBe(0);
    // 2F-85 at full speed: 0.15 m/s over 0.085 m → 255 counts in 0.567 s.
    clock.advance_s(0.2);
    expect(model.status().gPO).toBe(90);
    clock.advance_s(0.5);
    expect(model.status()).toMatchObject({ gOBJ: 3, gPO: 255, gPR: 255, gGTO: true });
  });

  test('closing on an object stops there with gOBJ = 2; opening again leaves it', () => {
    const { clock, model, write } = rig({ object_at_count: 140 });
    write(true, false, 0);
    clock.advance_s(0.2);
    write(false, false);
    model.object_at_count = undefined;
    write(true, false);
    clock.advance_s(1);
    model.object_at_count = 140;
    write(true, true, 255, 255, 200);
    clock.advance_s(2);
    const status = model.status();
    expect(status).toMatchObject({ gOBJ: 2, gPO: 140 });
    expect(status.gCU).toBeGreaterThan(10);
    write(true, true, 0);
    clock.advance_s(2);
    expect(model.status()).toMatchObject({ gOBJ: 3, gPO: 0 });
  });

  test('an object in the way during activation raises fault 13', () => {
    const { clock, model, write } = rig({ object_at_count: 100 });
    write(true, false);
    clock.advance_s(0.3);
    expect(model.status()).toMatchObject({ gFLT: 13, gSTA: 0 });
  });

  test('motion before activation sets fault 7; major faults need a reset and a rising rACT', () => {
    const { clock, model, write } = rig();
    write(true, false);
    write(true, true, 255);
    expect(model.status().gFLT).toBe(7);
    clock.advance_s(1);
    expect(model.status().gSTA).toBe(3);
    write(true, true, 255);
    expect(model.status().gFLT).toBe(0);
    model.injectFault(14);
    write(true, true, 0);
    expect(model.status().gFLT).toBe(14);
    write(false, false);
    expect(model.status().gFLT).toBe(14);
    write(true, false);
    expect(model.status().gFLT).toBe(0);
  });

  test('registers: other slave ids get silence, unknown registers an exception', () => {
    const { model } = rig();
    expect(model.handle({ kind: 'read', slave_id: 8, function_code: 3, start: STATUS_REGISTER, count: 3 })).toBeUndefined();
    expect(model.handle({ kind: 'read', slave_id: 9, function_code: 4, start: 0, count: 1 })).toEqual({
      kind: 'exception',
      slave_id: 9,
      function_code: 4,
      exception_code: 2,
    });
    const reply = model.handle({ kind: 'read', slave_id: 9, function_code: 4, start: STATUS_REGISTER, count: 3 }) as ModbusResponse & {
      kind: 'read';
    };
    expect(decodeStatus(reply.values).gSTA).toBe(0);
    expect(model.handle({ kind: 'write_single', slave_id: 9, address: COMMAND_REGISTER, value: 0x0100 })).toMatchObject({
      kind: 'write_single',
    });
    expect(model.status().gSTA).toBe(1);
  });
});
