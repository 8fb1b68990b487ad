import type { ArmCommand, GripperCommand, Quaternion, SentAction, Vec3 } from '../../shared/robot/types';
import {
  clipArmCommand,
  clipGripperCommand,
  clipToWorkspace,
  FRANKA_COMMAND_LIMITS,
  type ArmCommandLimits,
} from '../../shared/robot/commandLimits';
import { FRANKA_HAND_LIMITS } from '../../shared/robot/frankaLimits';
import { DataViews } from './dataViews';
import { ARM_DOF, FRANKA, LAYOUT } from './franka';
import { dlsStep } from './ik';
import { poseToMat4, type Mat3 } from './math3d';
import {
  axisAngleFromRotation,
  quaternionFromRotation,
  rotationFromAxisAngle,
  rotationFromQuaternion,
  rotationMultiply,
  rotationTranspose,
} from '../../shared/robot/rotation';
import { loadModelFromString } from './modelLoader';
import { loadMujoco, objectId, objectName, type MjData, type MjModel, type Mujoco, type MujocoModule, type WasmBuffer } from './mujoco';
import { checkSuccess, CUBE_HALF_M, drawLayout, type SceneLayout, type SuccessCheck } from './pickPlaceTask';
import type { ArmReading, GripperReading, PrivilegedState, SegmentationLegendEntry } from './simTypes';

const CUBE_QPOS = 9;
const CUBE_QVEL = 9;
const GRASP_SQUEEZE_WIDTH_M = -0.04;

/** What `SimEngine.snapshot` keeps (opaque to callers; restore it into the same scene). */
export interface EngineSnapshot {
  state: Float64Array;
  seed: number;
  qd: Float64Array;
  qGoal: Float64Array;
  lastTau: Float64Array;
  mode: 'joint' | 'cartesian';
  cartesian: CartesianGoal | undefined;
  ikAtLimit: boolean;
  gripperMode: 'move' | 'grasp';
  widthTarget_m: number;
  widthNow_m: number;
  gripperSpeed_m_s: number;
  grasp: { width_m: number; epsilon_inner_m: number; epsilon_outer_m: number };
  stepCount: number;
  lifted: boolean;
  gripperForce_n: number;
}

interface CartesianGoal {
  startPos: Vec3;
  startMat: Mat3;
  goalPos: Vec3;
  goalMat: Mat3;
  /** Rotation from start to goal as an axis-angle vector in the base frame. */
  deltaAxisAngle: Vec3;
  elapsed_s: number;
  duration_s: number;
}

/**
 * The simulated Franka rig as a plain synchronous class: MuJoCo physics at the model's timestep (1 kHz),
 * joint impedance with gravity compensation every physics step, a 100 Hz controller that turns
 * end-effector and joint commands into joint targets, a force-limited gripper and the pick-and-place
 * task. The worker (worker.ts) and the unit tests drive it directly; nothing here waits or keeps time.
 */

/** The Franka's per-command limits, inside the simulated table's workspace box. */
export const SIM_ARM_LIMITS: ArmCommandLimits = {
  ...FRANKA_COMMAND_LIMITS,
  workspace_min_m: [0.2, -0.5, 0.0],
  workspace_max_m: [0.8, 0.5, 0.7],
};

export class SimEngine {
  readonly mj: MujocoModule;
  readonly model: MjModel;
  readonly data: MjData;
  readonly views: DataViews;
  readonly timestep_s: number;
  readonly ids: {
    tcp: number;
    flange: number;
    hand: number;
    cubeBody: number;
    cubeGeom: number;
    leftPad: number;
    rightPad: number;
    table: number;
    targetGeom: number;
    targetSite: number;
  };
  limits: ArmCommandLimits = SIM_ARM_LIMITS;
  /** Expected time between arm commands: absolute targets are ramped over it (robosuite's linear interpolator). */
  commandPeriod_s = 0.01;

  private readonly shadow: MjData;
  private readonly shadowViews: DataViews;
  private readonly jacp: WasmBuffer<Float64Array>;
  private readonly jacr: WasmBuffer<Float64Array>;
  private readonly jacobian = new Float64Array(6 * ARM_DOF);
  private readonly stepsPerTick: number;
  private readonly qd = new Float64Array(ARM_DOF);
  private readonly qGoal = new Float64Array(ARM_DOF);
  private readonly lastTau = new Float64Array(ARM_DOF);
  private mode: 'joint' | 'cartesian' = 'joint';
  private cartesian: CartesianGoal | undefined;
  private ikAtLimit = false;
  private gripperMode: 'move' | 'grasp' = 'move';
  private widthTarget_m: number = FRANKA.gripper_max_width_m;
  private widthNow_m: number = FRANKA.gripper_max_width_m;
  private gripperSpeed_m_s: number = FRANKA.gripper_max_speed_m_s;
  private grasp = { width_m: 0, epsilon_inner_m: 0.005, epsilon_outer_m: 0.005 };
  private stepCount = 0;
  private lifted = false;
  private gripperForce_n: number = FRANKA.gripper_default_force_n;
  private faultArmed = false;
  private layoutNow: SceneLayout;

  static async load(xml: string, file: string): Promise<SimEngine> {
    const mujoco = await loadMujoco();
    return new SimEngine(mujoco, loadModelFromString(mujoco, xml, file), file);
  }

  constructor(mujoco: Mujoco, model: MjModel, file: string) {
    const mj = mujoco.mj;
    this.mj = mj;
    this.model = model;
    if (model.nq !== 16 || model.nv !== 15 || model.nu !== 8) {
      throw new Error(
        `${file}: expected the Franka scene layout (7 arm joints, 2 fingers, 1 free cube; nq 16, nv 15, nu 8), got nq ${model.nq}, nv ${model.nv}, nu ${model.nu}`,
      );
    }
    this.ids = {
      tcp: objectId(mj, model, 'mjOBJ_SITE', 'tcp'),
      flange: objectId(mj, model, 'mjOBJ_SITE', 'flange'),
      hand: objectId(mj, model, 'mjOBJ_BODY', 'hand'),
      cubeBody: objectId(mj, model, 'mjOBJ_BODY', 'cube'),
      cubeGeom: objectId(mj, model, 'mjOBJ_GEOM', 'cube'),
      leftPad: objectId(mj, model, 'mjOBJ_GEOM', 'left_pad'),
      rightPad: objectId(mj, model, 'mjOBJ_GEOM', 'right_pad'),
      table: objectId(mj, model, 'mjOBJ_GEOM', 'table'),
      targetGeom: objectId(mj, model, 'mjOBJ_GEOM', 'target'),
      targetSite: objectId(mj, model, 'mjOBJ_SITE', 'target_center'),
    };
    this.timestep_s = model.opt.timestep;
    this.stepsPerTick = Math.max(1, Math.round(1 / (LAYOUT.controller_hz * this.timestep_s)));
    this.data = new mj.MjData(model);
    this.shadow = new mj.MjData(model);
    this.jacp = new mj.DoubleBuffer(3 * model.nv);
    this.jacr = new mj.DoubleBuffer(3 * model.nv);
    // created after every allocation above: earlier views would already be detached
    this.views = new DataViews(this.data);
    this.shadowViews = new DataViews(this.shadow);
    this.layoutNow = drawLayout(0);
    this.reset(0);
  }

  get sim_time_s(): number {
    return this.data.time;
  }

  get steps(): number {
    return this.stepCount;
  }

  get layout(): SceneLayout {
    return this.layoutNow;
  }

  /** Home posture, gripper open, a fresh scene layout drawn from `seed`. */
  reset(seed: number): SceneLayout {
    const { mj, model, data, ids } = this;
    const layout = drawLayout(seed);
    this.layoutNow = layout;
    mj.mj_resetDataKeyframe(model, data, 0);
    const v = this.views.fresh();
    const [cx, cy, cz] = layout.cube_position_m;
    v.qpos.set([cx, cy, cz, Math.cos(layout.cube_yaw_rad / 2), 0, 0, Math.sin(layout.cube_yaw_rad / 2)], CUBE_QPOS);
    const matId = model.geom_matid[ids.cubeGeom] ?? -1;
    if (matId >= 0) model.mat_rgba.set([...layout.cube_rgb, 1], 4 * matId);
    else model.geom_rgba.set([...layout.cube_rgb, 1], 4 * ids.cubeGeom);
    const [tx, ty] = layout.target_center_m;
    model.geom_pos.set([tx, ty, 0.0005], 3 * ids.targetGeom);
    model.site_pos.set([tx, ty, 0], 3 * ids.targetSite);
    mj.mj_forward(model, data);
    const fresh = this.views.fresh();
    this.qd.set(fresh.qpos.subarray(0, ARM_DOF));
    this.qGoal.set(this.qd);
    this.lastTau.fill(0);
    this.mode = 'joint';
    this.cartesian = undefined;
    this.ikAtLimit = false;
    this.gripperMode = 'move';
    this.widthNow_m = this.widthTarget_m = (fresh.qpos[7] ?? 0) + (fresh.qpos[8] ?? 0);
    this.gripperSpeed_m_s = FRANKA.gripper_max_speed_m_s;
    this.setGripperForce(FRANKA.gripper_default_force_n);
    this.stepCount = 0;
    this.lifted = false;
    return layout;
  }

  /**
   * Everything the next steps depend on: MuJoCo's integration state (time, positions, velocities,
   * controls, warm start) and the controller's and gripper's own state. Restoring it replays the same
   * future (the ranking test executes K chunks from one state). Only within the scene it was taken in.
   */
  snapshot(): EngineSnapshot {
    const { mj, model, data } = this;
    const signature = this.stateSignature();
    // Derived quantities (site poses the controller reads) lag the state by one physics step after
    // mj_step2; bring them up to date first, as `restore` does, so both continue from the same data.
    mj.mj_forward(model, data);
    const buffer = new mj.DoubleBuffer(mj.mj_stateSize(model, signature));
    try {
      mj.mj_getState(model, data, buffer, signature);
      const state = Float64Array.from(buffer.GetView() as Float64Array);
      return {
        state,
        seed: this.layoutNow.seed,
        qd: Float64Array.from(this.qd),
        qGoal: Float64Array.from(this.qGoal),
        lastTau: Float64Array.from(this.lastTau),
        mode: this.mode,
        cartesian: this.cartesian === undefined ? undefined : structuredClone(this.cartesian),
        ikAtLimit: this.ikAtLimit,
        gripperMode: this.gripperMode,
        widthTarget_m: this.widthTarget_m,
        widthNow_m: this.widthNow_m,
        gripperSpeed_m_s: this.gripperSpeed_m_s,
        grasp: { ...this.grasp },
        stepCount: this.stepCount,
        lifted: this.lifted,
        gripperForce_n: this.gripperForce_n,
      };
    } finally {
      buffer.delete();
    }
  }

  restore(snapshot: EngineSnapshot): void {
    const { mj, model, data } = this;
    if (snapshot.seed !== this.layoutNow.seed)
      throw new Error(`a snapshot of scene ${snapshot.seed} cannot be restored into scene ${this.layoutNow.seed}`);
    mj.mj_setState(model, data, Array.from(snapshot.state), this.stateSignature());
    mj.mj_forward(model, data);
    this.qd.set(snapshot.qd);
    this.qGoal.set(snapshot.qGoal);
    this.lastTau.set(snapshot.lastTau);
    this.mode = snapshot.mode;
    this.cartesian = snapshot.cartesian === undefined ? undefined : structuredClone(snapshot.cartesian);
    this.ikAtLimit = snapshot.ikAtLimit;
    this.gripperMode = snapshot.gripperMode;
    this.widthTarget_m = snapshot.widthTarget_m;
    this.widthNow_m = snapshot.widthNow_m;
    this.gripperSpeed_m_s = snapshot.gripperSpeed_m_s;
    this.grasp = { ...snapshot.grasp };
    this.stepCount = snapshot.stepCount;
    this.lifted = snapshot.lifted;
    this.setGripperForce(snapshot.gripperForce_n);
  }

  private stateSignature(): number {
    return this.mj.mjtState.mjSTATE_INTEGRATION.value;
  }

  /** Test hook: the next physics step throws, as a crash inside MuJoCo or the controller would. */
  armFault(): void {
    this.faultArmed = true;
  }

  /** Advances `count` physics steps; the controller ticks every 10 ms of sim time. */
  step(count = 1): void {
    const { mj, model, data } = this;
    const kp = FRANKA.kp_nm_rad,
      kd = FRANKA.kd_nms_rad,
      tauMax = FRANKA.tau_max_nm;
    const qd = this.qd,
      lastTau = this.lastTau;
    const maxWidthStep = this.gripperSpeed_m_s * this.timestep_s;
    for (let n = 0; n < count; n++) {
      if (this.faultArmed) {
        this.faultArmed = false;
        throw new Error('injected fault in SimEngine.step');
      }
      // bias forces of *this* state: mj_step would compensate with last step's
      mj.mj_step1(model, data);
      const v = this.views.fresh();
      const q = v.qpos,
        dq = v.qvel,
        bias = v.qfrc_bias,
        ctrl = v.ctrl;
      for (let i = 0; i < ARM_DOF; i++) {
        let tau = (kp[i] as number) * ((qd[i] as number) - (q[i] as number)) - (kd[i] as number) * (dq[i] as number) + (bias[i] as number);
        const lim = tauMax[i] as number;
        tau = tau > lim ? lim : tau < -lim ? -lim : tau;
        ctrl[i] = tau;
        lastTau[i] = tau;
      }
      const e = this.widthTarget_m - this.widthNow_m;
      this.widthNow_m += Math.abs(e) <= maxWidthStep ? e : Math.sign(e) * maxWidthStep;
      ctrl[LAYOUT.gripper_ctrl] = this.widthNow_m / 2;
      mj.mj_step2(model, data);
      this.stepCount++;
      if (this.stepCount % this.stepsPerTick === 0) this.controllerTick();
    }
  }

  /** Runs physics for `seconds` of sim time. */
  advance(seconds: number): void {
    this.step(Math.max(0, Math.round(seconds / this.timestep_s)));
  }

  sendArm(command: ArmCommand): SentAction<ArmCommand> {
    // No measured state: the sim's controller ramps towards far targets itself (no per-command step),
    // and an ee_delta is kept in the box below, from the measured TCP.
    const clipped = clipArmCommand(command, undefined, this.limits);
    const reasons = [...clipped.clip_reasons];
    let sent = clipped.sent;
    switch (sent.kind) {
      case 'joint_position':
      case 'joint_impedance':
        this.qGoal.set(sent.q_rad);
        this.mode = 'joint';
        this.cartesian = undefined;
        break;
      case 'ee_pose':
        this.setCartesianGoal(sent.position_m, rotationFromQuaternion(sent.quaternion_wxyz));
        break;
      case 'ee_delta': {
        // deoxys OSC_POSE: the delta applies to the measured pose, rotation pre-multiplied (base frame)
        const { position, rotation } = this.measuredTcp();
        const wanted: Vec3 = [
          position[0] + sent.translation_m[0],
          position[1] + sent.translation_m[1],
          position[2] + sent.translation_m[2],
        ];
        const goalPos = clipToWorkspace(position, wanted, this.limits, reasons);
        if (goalPos.some((value, axis) => value !== wanted[axis])) {
          sent = { ...sent, translation_m: [goalPos[0] - position[0], goalPos[1] - position[1], goalPos[2] - position[2]] };
        }
        this.setCartesianGoal(goalPos, rotationMultiply(rotationFromAxisAngle(sent.rotation_axis_angle_rad), rotation));
        break;
      }
    }
    if (this.ikAtLimit) reasons.push('joint limit reached while tracking the previous target');
    return { requested: command, sent, clipped: reasons.length > 0, clip_reasons: reasons };
  }

  sendGripper(command: GripperCommand): SentAction<GripperCommand> {
    const result = clipGripperCommand(command, FRANKA_HAND_LIMITS);
    const sent = result.sent;
    switch (sent.kind) {
      case 'move':
        this.gripperMode = 'move';
        this.widthTarget_m = sent.width_m;
        this.gripperSpeed_m_s = sent.speed_m_s;
        this.setGripperForce(FRANKA.gripper_default_force_n);
        break;
      case 'grasp':
        // like the real hand: close until the force is reached; success is judged by the width band
        this.gripperMode = 'grasp';
        this.widthTarget_m = GRASP_SQUEEZE_WIDTH_M;
        this.gripperSpeed_m_s = sent.speed_m_s;
        this.grasp = {
          width_m: sent.width_m,
          epsilon_inner_m: sent.epsilon_inner_m ?? 0.005,
          epsilon_outer_m: sent.epsilon_outer_m ?? 0.005,
        };
        this.setGripperForce(sent.force_n);
        break;
      case 'stop':
        this.gripperMode = 'move';
        this.widthTarget_m = this.widthNow_m = this.measuredWidth();
        break;
      case 'homing':
        this.gripperMode = 'move';
        this.widthTarget_m = FRANKA.gripper_max_width_m;
        this.gripperSpeed_m_s = FRANKA.gripper_max_speed_m_s;
        this.setGripperForce(FRANKA.gripper_default_force_n);
        break;
    }
    return result;
  }

  armReading(): ArmReading {
    const v = this.views.fresh();
    const { position, rotation } = this.measuredTcp();
    return {
      sim_time_s: this.sim_time_s,
      q_rad: Array.from(v.qpos.subarray(0, ARM_DOF)),
      dq_rad_s: Array.from(v.qvel.subarray(0, ARM_DOF)),
      tau_nm: Array.from(this.lastTau),
      q_target_rad: Array.from(this.qd),
      base_from_ee: poseToMat4({ position_m: position, rotation }),
      ee_position_m: position,
      ee_quaternion_wxyz: quaternionFromRotation(rotation),
    };
  }

  gripperReading(): GripperReading {
    const width = this.measuredWidth();
    const settled = this.gripperMode === 'grasp' ? this.widthNow_m === this.widthTarget_m || width > this.widthNow_m + 0.001 : false;
    const inBand = width >= this.grasp.width_m - this.grasp.epsilon_inner_m && width <= this.grasp.width_m + this.grasp.epsilon_outer_m;
    return {
      sim_time_s: this.sim_time_s,
      width_m: width,
      max_width_m: FRANKA.gripper_max_width_m,
      is_grasped: this.gripperMode === 'grasp' && settled && inBand,
      mode: this.gripperMode,
    };
  }

  /** Ground truth only a simulator knows, for recording and export (gwm-lite §6.1). */
  privileged(): PrivilegedState {
    // Contacts first: reading them allocates in the wasm heap, which may grow it and detach every view
    // taken before (they read as length 0, so poses came out all zeros, quaternion included).
    const contact = this.contacts();
    const v = this.views.fresh();
    const { ids, layoutNow: layout } = this;
    const b = ids.cubeBody;
    const position: Vec3 = [v.xpos[3 * b] ?? 0, v.xpos[3 * b + 1] ?? 0, v.xpos[3 * b + 2] ?? 0];
    const quat = Array.from(v.xquat.subarray(4 * b, 4 * b + 4)) as Quaternion;
    const velocity: Vec3 = [v.qvel[CUBE_QVEL] ?? 0, v.qvel[CUBE_QVEL + 1] ?? 0, v.qvel[CUBE_QVEL + 2] ?? 0];
    const fingerContacts = (contact.left_finger_object ? 1 : 0) + (contact.right_finger_object ? 1 : 0);
    const speed = Math.hypot(...velocity);
    const check: SuccessCheck = checkSuccess(layout, {
      position_m: position,
      speed_m_s: speed,
      finger_contacts: fingerContacts,
      lifted: this.lifted,
    });
    const dx = position[0] - layout.target_center_m[0],
      dy = position[1] - layout.target_center_m[1];
    return {
      sim_time_s: this.sim_time_s,
      seed: layout.seed,
      objects: [
        {
          name: 'cube',
          body_id: b,
          geom_id: ids.cubeGeom,
          position_m: position,
          quaternion_wxyz: quat,
          linear_velocity_m_s: velocity,
          rgb: layout.cube_rgb,
        },
      ],
      target: { name: 'target', geom_id: ids.targetGeom, center_m: layout.target_center_m, half_extent_m: layout.target_half_extent_m },
      object_target_distance_m: Math.hypot(dx, dy),
      contact,
      grasped: contact.left_finger_object && contact.right_finger_object && position[2] > CUBE_HALF_M + 0.005,
      body_poses: this.bodyPoses(v.xpos, v.xquat),
      lifted: this.lifted,
      success: check.success,
      success_detail: check,
    };
  }

  /** Body names by body id (0 is the world). */
  bodyNames(): string[] {
    return Array.from({ length: this.model.nbody }, (_, b) => objectName(this.mj, this.model, 'mjOBJ_BODY', b));
  }

  private bodyPoses(xpos: Float64Array, xquat: Float64Array): number[] {
    const n = this.model.nbody;
    if (xpos.length < 3 * n || xquat.length < 4 * n)
      throw new Error('body poses read from detached MjData views (the wasm heap grew since they were taken)');
    const out = new Array<number>(7 * n);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < 3; i++) out[7 * b + i] = xpos[3 * b + i] ?? 0;
      for (let i = 0; i < 4; i++) out[7 * b + 3 + i] = xquat[4 * b + i] ?? 0;
    }
    return out;
  }

  /** Geom id → names, so segmentation images can be read without the model. */
  segmentationLegend(): SegmentationLegendEntry[] {
    const { mj, model } = this;
    const out: SegmentationLegendEntry[] = [];
    for (let g = 0; g < model.ngeom; g++) {
      const body = model.geom_bodyid[g] ?? 0;
      out.push({ id: g, geom: objectName(mj, model, 'mjOBJ_GEOM', g), body_id: body, body: objectName(mj, model, 'mjOBJ_BODY', body) });
    }
    return out;
  }

  /** Flange and TCP poses from physics (row-major rotation). */
  sitePose(site: number): { position: Vec3; rotation: Mat3 } {
    const v = this.views.fresh();
    return {
      position: [v.site_xpos[3 * site] ?? 0, v.site_xpos[3 * site + 1] ?? 0, v.site_xpos[3 * site + 2] ?? 0],
      rotation: Array.from(v.site_xmat.subarray(9 * site, 9 * site + 9)) as Mat3,
    };
  }

  dispose(): void {
    this.jacp.delete();
    this.jacr.delete();
    this.shadow.delete();
    this.data.delete();
    this.model.delete();
  }

  private measuredTcp(): { position: Vec3; rotation: Mat3 } {
    return this.sitePose(this.ids.tcp);
  }

  /**
   * The one gripper width the studio shows and records (live, recorded, replayed). The finger limits
   * are stiff in the MJCF, but a constraint solver still yields a fraction of a millimetre under the
   * squeeze; the hand's encoder never reads outside 0–80 mm, so neither does this.
   */
  private measuredWidth(): number {
    const v = this.views.fresh();
    const width = (v.qpos[7] ?? 0) + (v.qpos[8] ?? 0);
    return Math.min(FRANKA.gripper_max_width_m, Math.max(0, width));
  }

  private setGripperForce(force_n: number): void {
    this.gripperForce_n = force_n;
    const f = 2 * force_n; // tendon = (q1 + q2) / 2, so each finger feels half the tendon force
    this.model.actuator_forcerange.set([-f, f], 2 * LAYOUT.gripper_ctrl);
  }

  private contacts(): PrivilegedState['contact'] {
    const { data, ids } = this;
    let left = false,
      right = false,
      table = false;
    for (let i = 0; i < data.ncon; i++) {
      const c = data.contact.get(i);
      if (c === undefined) continue;
      const g1 = c.geom1,
        g2 = c.geom2;
      c.delete();
      const other = g1 === ids.cubeGeom ? g2 : g2 === ids.cubeGeom ? g1 : -1;
      if (other === ids.leftPad) left = true;
      else if (other === ids.rightPad) right = true;
      else if (other === ids.table) table = true;
    }
    return { left_finger_object: left, right_finger_object: right, gripper_object: left || right, object_table: table };
  }

  /** Kinematic TCP pose and Jacobian at joint configuration `q`, on the shadow data (no dynamics). */
  private kinematicsAt(q: Float64Array): { pos: Vec3; mat: Mat3 } {
    const { mj, model, shadow } = this;
    this.shadowViews.fresh().qpos.set(q, 0);
    mj.mj_kinematics(model, shadow);
    mj.mj_comPos(model, shadow);
    mj.mj_jacSite(model, shadow, this.jacp, this.jacr, this.ids.tcp);
    const sv = this.shadowViews.fresh();
    const jp = this.jacp.GetView(),
      jr = this.jacr.GetView();
    const nv = model.nv;
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < ARM_DOF; c++) {
        this.jacobian[r * ARM_DOF + c] = jp[r * nv + c] as number;
        this.jacobian[(r + 3) * ARM_DOF + c] = jr[r * nv + c] as number;
      }
    }
    const s = this.ids.tcp;
    return {
      pos: [sv.site_xpos[3 * s] ?? 0, sv.site_xpos[3 * s + 1] ?? 0, sv.site_xpos[3 * s + 2] ?? 0],
      mat: Array.from(sv.site_xmat.subarray(9 * s, 9 * s + 9)) as Mat3,
    };
  }

  private setCartesianGoal(goalPos: Vec3, goalMat: Mat3): void {
    const { pos, mat } = this.kinematicsAt(this.qd);
    const deltaAxisAngle = axisAngleFromRotation(rotationMultiply(goalMat, rotationTranspose(mat)));
    const lin = Math.hypot(goalPos[0] - pos[0], goalPos[1] - pos[1], goalPos[2] - pos[2]);
    const ang = Math.hypot(...deltaAxisAngle);
    const duration_s = Math.max(this.commandPeriod_s, lin / FRANKA.ee_max_speed_m_s, ang / FRANKA.ee_max_speed_rad_s);
    this.cartesian = { startPos: pos, startMat: mat, goalPos, goalMat, deltaAxisAngle, elapsed_s: 0, duration_s };
    this.mode = 'cartesian';
  }

  private controllerTick(): void {
    const dt = this.stepsPerTick * this.timestep_s;
    if (this.mode === 'joint') {
      this.ikAtLimit = false;
      for (let k = 0; k < ARM_DOF; k++) {
        const lim = 0.8 * (FRANKA.dq_max_rad_s[k] as number) * dt;
        const e = (this.qGoal[k] as number) - (this.qd[k] as number);
        this.qd[k] = (this.qd[k] as number) + (e > lim ? lim : e < -lim ? -lim : e);
      }
    } else if (this.cartesian !== undefined) {
      const c = this.cartesian;
      c.elapsed_s = Math.min(c.duration_s, c.elapsed_s + dt);
      const s = c.elapsed_s / c.duration_s;
      const pos: Vec3 = [0, 1, 2].map(
        (i) => (c.startPos[i] as number) + s * ((c.goalPos[i] as number) - (c.startPos[i] as number)),
      ) as Vec3;
      const mat = s >= 1 ? c.goalMat : rotationMultiply(rotationFromAxisAngle(c.deltaAxisAngle.map((x) => x * s)), c.startMat);
      const now = this.kinematicsAt(this.qd);
      this.ikAtLimit = dlsStep(this.qd, now.pos, now.mat, this.jacobian, pos, mat, dt);
    }
    if (!this.lifted) {
      const v = this.views.fresh();
      const z = v.xpos[3 * this.ids.cubeBody + 2] ?? 0;
      if (z > CUBE_HALF_M + 0.02 && this.contacts().gripper_object) this.lifted = true;
    }
  }
}
