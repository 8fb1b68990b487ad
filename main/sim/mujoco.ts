/**
 * A narrow, typed view of the `mujoco-js` WebAssembly module (MuJoCo 3.3.8): only what the sim uses.
 * The package's own typings give `any` for every array; these give the real typed-array kinds
 * (checked against 0.0.7). Array properties are views into wasm memory that detach (length 0) when
 * the heap grows, so re-read them after anything that allocates.
 */

export interface MjOption {
  timestep: number;
}

export interface MjModel {
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  readonly nbody: number;
  readonly ngeom: number;
  readonly nsite: number;
  readonly opt: MjOption;
  readonly geom_type: Int32Array;
  readonly geom_group: Int32Array;
  readonly geom_bodyid: Int32Array;
  readonly geom_matid: Int32Array;
  readonly geom_rgba: Float32Array;
  readonly geom_size: Float64Array;
  readonly geom_rbound: Float64Array;
  readonly geom_pos: Float64Array;
  readonly site_pos: Float64Array;
  readonly mat_rgba: Float32Array;
  readonly actuator_forcerange: Float64Array;
  delete(): void;
}

export interface MjContact {
  readonly geom1: number;
  readonly geom2: number;
  readonly dist: number;
  delete(): void;
}

export interface MjData {
  readonly time: number;
  readonly ncon: number;
  readonly qpos: Float64Array;
  readonly qvel: Float64Array;
  readonly ctrl: Float64Array;
  readonly qfrc_bias: Float64Array;
  readonly xpos: Float64Array;
  readonly xquat: Float64Array;
  readonly site_xpos: Float64Array;
  readonly site_xmat: Float64Array;
  readonly geom_xpos: Float64Array;
  readonly geom_xmat: Float64Array;
  readonly contact: { get(index: number): MjContact | undefined };
  delete(): void;
}

export interface WasmBuffer<V> {
  GetView(): V;
  delete(): void;
}

export type ObjectType = 'mjOBJ_BODY' | 'mjOBJ_GEOM' | 'mjOBJ_SITE' | 'mjOBJ_JOINT' | 'mjOBJ_ACTUATOR';

export interface MujocoModule {
  FS: {
    mkdir(path: string): void;
    writeFile(path: string, data: string | Uint8Array): void;
    unlink(path: string): void;
    rmdir(path: string): void;
  };
  MjModel: { loadFromXML(path: string): MjModel | null };
  MjData: new (model: MjModel) => MjData;
  DoubleBuffer: new (length: number) => WasmBuffer<Float64Array>;
  IntBuffer: new (length: number) => WasmBuffer<Int32Array>;
  mjtObj: Record<ObjectType, { value: number }>;
  mj_name2id(model: MjModel, type: number, name: string): number;
  mj_id2name(model: MjModel, type: number, id: number): string | null;
  mj_resetDataKeyframe(model: MjModel, data: MjData, key: number): void;
  mj_forward(model: MjModel, data: MjData): void;
  mj_step(model: MjModel, data: MjData): void;
  mj_step1(model: MjModel, data: MjData): void;
  mj_step2(model: MjModel, data: MjData): void;
  mj_kinematics(model: MjModel, data: MjData): void;
  mj_comPos(model: MjModel, data: MjData): void;
  mj_jacSite(model: MjModel, data: MjData, jacp: WasmBuffer<Float64Array>, jacr: WasmBuffer<Float64Array>, site: number): void;
  /** State (de)serialisation; `signature` is a bitmask of mjtState values (mjSTATE_INTEGRATION: everything integration needs). */
  mjtState: { mjSTATE_INTEGRATION: { value: number } };
  mj_stateSize(model: MjModel, signature: number): number;
  mj_getState(model: MjModel, data: MjData, state: WasmBuffer<Float64Array>, signature: number): void;
  mj_setState(model: MjModel, data: MjData, state: number[], signature: number): void;
  mj_ray(
    model: MjModel,
    data: MjData,
    point: ArrayLike<number>,
    direction: ArrayLike<number>,
    geomgroup: Uint8Array,
    flgStatic: number,
    bodyExclude: number,
    geomId: WasmBuffer<Int32Array>,
  ): number;
  mj_multiRay(
    model: MjModel,
    data: MjData,
    point: ArrayLike<number>,
    directions: Float64Array,
    geomgroup: Uint8Array,
    flgStatic: number,
    bodyExclude: number,
    geomIds: WasmBuffer<Int32Array>,
    distances: WasmBuffer<Float64Array>,
    count: number,
    cutoff: number,
  ): void;
}

/** The loaded module plus what it printed (tinyxml errors are printed, not thrown). */
export interface Mujoco {
  readonly mj: MujocoModule;
  readonly log: string[];
  /** A tiny wasm-owned buffer: its view's `.buffer` is always the current heap (HEAPU8 is not exported). */
  readonly probe: WasmBuffer<Int32Array>;
}

let shared: Promise<Mujoco> | undefined;

/**
 * Loads the wasm module once per thread. mujoco-js is ESM-only and the main bundle is CommonJS, so this
 * must stay a dynamic `import()` (the bundler keeps it one for externals).
 */
export function loadMujoco(): Promise<Mujoco> {
  shared ??= (async () => {
    const { default: factory } = await import('mujoco-js');
    const log: string[] = [];
    const keep = (text: string): void => {
      log.push(text);
      if (log.length > 200) log.splice(0, log.length - 200);
    };
    const mj = (await factory({ print: keep, printErr: keep })) as unknown as MujocoModule;
    try {
      mj.FS.mkdir('/model');
    } catch {
      // exists
    }
    return { mj, log, probe: new mj.IntBuffer(1) };
  })();
  return shared;
}

export function objectId(mj: MujocoModule, model: MjModel, type: ObjectType, name: string): number {
  const id = mj.mj_name2id(model, mj.mjtObj[type].value, name);
  if (id < 0) throw new Error(`the sim model has no ${type.slice(6).toLowerCase()} named "${name}"`);
  return id;
}

export function objectName(mj: MujocoModule, model: MjModel, type: ObjectType, id: number): string {
  return mj.mj_id2name(model, mj.mjtObj[type].value, id) ?? `${type.slice(6).toLowerCase()}${id}`;
}
