import type { CycleRecord } from '../control/controlLoop';
import type { CycleSample } from './rigTap';

/**
 * What the recorder stores for one control cycle, as a pure function of the cycle record the loop
 * reports: the state it acted on, what was asked and sent with every clip reason, the gripper intent,
 * the source's labels and the ground truth read with that state. The same for every source and every
 * caller (the UI's rig, the headless recorder). Null before the arm's first state.
 */
export function cycleSample(record: CycleRecord): CycleSample | null {
  if (record.arm_state === null) return null;
  const events = [...(record.events ?? []), ...(record.gripper !== null ? [{ type: 'gripper', command: record.gripper.sent.kind }] : [])];
  return {
    t_ns: record.t_ns,
    arm: record.arm_state,
    gripper: record.gripper_state ?? undefined,
    requested: record.safe.requested,
    executed: record.executed.sent,
    gripper_intent: record.gripper_intent,
    clip_reasons: record.executed.clip_reasons,
    events,
    ...(record.privileged !== undefined ? { privileged: record.privileged } : {}),
    ...(record.labels !== undefined ? { expert: record.labels } : {}),
  };
}
