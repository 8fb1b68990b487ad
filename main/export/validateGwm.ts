import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GWM_FORMAT, GWM_VERSION, dtypeBytes, type GwmArray, type GwmEpisode, type GwmIndex } from './gwm';
import type { FormatValidator } from './validation';

/**
 * `studio export validate` for GWM sequences: the index against the arrays on disk (files, sizes,
 * shapes), and the values a trainer would silently learn garbage from — poses whose quaternions are not
 * unit length, actions outside the bounds the index declares, labels outside their legends. Every
 * problem names the episode, the array, the frame and what to do.
 */

/** float32 storage of a unit quaternion keeps |q| within ~1e-7 of 1; anything past this is not a rotation. */
const UNIT_TOLERANCE = 1e-3;
/** float32 rounding of a bound that was met exactly. */
const BOUND_TOLERANCE = 1e-6;

function read(root: string, array: GwmArray): Float32Array | Int32Array | Uint8Array | null {
  const path = join(root, array.file);
  if (!existsSync(path)) return null;
  const bytes = readFileSync(path);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  if (array.dtype === '<f4') return new Float32Array(buffer);
  if (array.dtype === '<i4') return new Int32Array(buffer);
  if (array.dtype === '|u1') return new Uint8Array(buffer);
  return null;
}

const who = (e: GwmEpisode) => `episode ${e.index} (studio episode #${e.studio_episode_id})`;

/** Quaternions (wxyz at `offset` of every `stride` values, the last axis) must be unit length. */
function checkQuaternions(
  root: string,
  e: GwmEpisode,
  name: string,
  offset: number,
  add: (message: string) => void,
  rowNames?: readonly string[] | null,
): void {
  const array = e.arrays[name];
  if (array === undefined) return;
  const values = read(root, array);
  const stride = array.shape.at(-1);
  if (!(values instanceof Float32Array) || stride === undefined || stride < offset + 4) return;
  const rows = array.shape.length >= 3 ? array.shape[array.shape.length - 2]! : 1;
  let bad = 0;
  let first = '';
  for (let i = 0; i + stride <= values.length; i += stride) {
    const norm = Math.hypot(values[i + offset]!, values[i + offset + 1]!, values[i + offset + 2]!, values[i + offset + 3]!);
    if (Math.abs(norm - 1) <= UNIT_TOLERANCE) continue;
    if (bad === 0) {
      const pose = i / stride;
      const frame = Math.floor(pose / rows);
      const row = pose % rows;
      const rowName = rowNames?.[row];
      const q = Array.from(values.subarray(i + offset, i + offset + 4), (v) => Number(v.toFixed(4))).join(', ');
      first = `${array.shape.length >= 3 ? `frame ${frame}, row ${row}${rowName !== undefined ? ` (${rowName})` : ''}` : `frame ${pose}`}: quaternion (${q}), |q| = ${norm.toFixed(4)}`;
    }
    bad++;
  }
  if (bad > 0) {
    add(
      `${who(e)}: ${name} has ${bad} pose(s) whose quaternion is not unit length, first at ${first}. ` +
        'Fix: re-record the episode with this studio (older versions could record all-zero simulator poses), or leave it out of the export (--episodes / --exclude-tag).',
    );
  }
}

function checkLabels(root: string, index: GwmIndex, e: GwmEpisode, add: (message: string) => void): void {
  const L = index.chunk_length;
  const expect = (name: string, shape: number[]) => {
    const array = e.arrays[name];
    if (array !== undefined && JSON.stringify(array.shape) !== JSON.stringify(shape))
      add(`${who(e)}: ${name} must be ${JSON.stringify(shape)}, is ${JSON.stringify(array.shape)}`);
  };
  expect('phase', [e.num_frames]);
  expect('action_explore', [e.num_chunks, L]);
  expect('chunk_explore', [e.num_chunks]);
  expect('expert_target_pose', [e.num_chunks, L, 7]);
  const phase = e.arrays.phase;
  if (phase !== undefined) {
    if (index.phase_names === null) add(`${who(e)}: has a phase array but index.json has no phase_names to read it`);
    const values = read(root, phase);
    const count = index.phase_names?.length ?? 0;
    const bad = values instanceof Int32Array ? values.findIndex((v) => v < -1 || v >= count) : -1;
    if (bad >= 0) add(`${who(e)}: phase at frame ${bad} is ${values![bad]}, outside phase_names (0…${count - 1}, or −1)`);
  }
  const perStep = e.arrays.action_explore,
    perChunk = e.arrays.chunk_explore;
  if (perStep !== undefined && perChunk !== undefined) {
    const steps = read(root, perStep),
      chunks = read(root, perChunk);
    if (steps instanceof Uint8Array && chunks instanceof Uint8Array) {
      for (let k = 0; k < chunks.length; k++) {
        const all = steps.subarray(k * L, (k + 1) * L).every((v) => v === 1) ? 1 : 0;
        if (chunks[k] !== all) {
          add(`${who(e)}: chunk_explore[${k}] is ${chunks[k]}, but action_explore says ${all}`);
          break;
        }
      }
    }
  }
}

/** Actions within the per-step bounds index.json declares (the speed limit over one control period). */
function checkActionBounds(root: string, index: GwmIndex, e: GwmEpisode, add: (message: string) => void): void {
  const { max_translation_m: maxT, max_rotation_rad: maxR } = index.actions;
  const array = e.arrays.actions;
  if (array === undefined || (maxT === null && maxR === null)) return;
  const values = read(root, array);
  const A = array.shape[2] ?? 0;
  if (!(values instanceof Float32Array) || A < 6) return;
  for (let i = 0; i + A <= values.length; i += A) {
    const t = Math.hypot(values[i]!, values[i + 1]!, values[i + 2]!);
    const r = Math.hypot(values[i + 3]!, values[i + 4]!, values[i + 5]!);
    if ((maxT !== null && t > maxT + BOUND_TOLERANCE) || (maxR !== null && r > maxR + BOUND_TOLERANCE)) {
      const step = i / A;
      add(
        `${who(e)}: actions chunk ${Math.floor(step / index.chunk_length)} step ${step % index.chunk_length} moves ${t.toFixed(4)} m / ${r.toFixed(4)} rad, over the declared per-step bound ` +
          `(${maxT ?? '—'} m / ${maxR ?? '—'} rad). Fix: re-record with this studio (actions are the per-step motion within the rig's speed limit).`,
      );
      return;
    }
  }
}

export function validateGwm(root: string, report: { episodes: number; frames: number }, add: (message: string) => void): void {
  const index = JSON.parse(readFileSync(join(root, 'index.json'), 'utf8')) as GwmIndex;
  if (index.format !== GWM_FORMAT) add(`index.json: format is ${String(index.format)}, expected ${GWM_FORMAT}`);
  if (index.version !== GWM_VERSION)
    add(
      `index.json: version is ${String(index.version)}, this studio writes and reads version ${GWM_VERSION}. Fix: re-export with this studio.`,
    );
  for (const [camera, spec] of Object.entries(index.cameras)) {
    if (spec.role !== 'train' && spec.role !== 'eval')
      add(`index.json: cameras.${camera}.role is ${String(spec.role)}, expected "train" or "eval"`);
  }
  report.episodes = index.episodes.length;
  for (const e of index.episodes) {
    report.frames += e.num_frames;
    for (const [name, array] of Object.entries(e.arrays)) {
      const path = join(root, array.file);
      if (!existsSync(path)) {
        add(`${array.file} (${name} of episode ${e.index}) is missing`);
        continue;
      }
      const want = array.shape.reduce((a, b) => a * b, 1) * dtypeBytes(array.dtype);
      const size = statSync(path).size;
      if (size !== want) add(`${array.file}: ${size} bytes, shape ${JSON.stringify(array.shape)} ${array.dtype} needs ${want}`);
    }
    const t = e.arrays.frame_t_s;
    if (t === undefined || t.shape[0] !== e.num_frames) add(`episode ${e.index}: frame_t_s must have num_frames entries`);
    else {
      const bytes = readFileSync(join(root, t.file));
      const times = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      const bad = times.findIndex((v, i) => i > 0 && !(v > times[i - 1]!));
      if (bad > 0) add(`episode ${e.index}: frame times are not increasing at frame ${bad}`);
    }
    const actions = e.arrays.actions;
    if (
      actions === undefined ||
      actions.shape[0] !== e.num_chunks ||
      actions.shape[1] !== index.chunk_length ||
      actions.shape[2] !== index.action_names.length
    ) {
      add(
        `episode ${e.index}: actions must be [num_chunks=${e.num_chunks}, L=${index.chunk_length}, A=${index.action_names.length}], is ${JSON.stringify(actions?.shape)}`,
      );
    }
    const cf = e.arrays.chunk_frame;
    if (cf === undefined || cf.shape[0] !== e.num_chunks + 1) add(`episode ${e.index}: chunk_frame must have num_chunks + 1 entries`);
    for (const [camera, spec] of Object.entries(index.cameras)) {
      const rgb = e.arrays[`rgb_${camera}`];
      if (rgb === undefined || JSON.stringify(rgb.shape) !== JSON.stringify([e.num_frames, spec.height, spec.width, 3]))
        add(`episode ${e.index}: rgb_${camera} must be [${e.num_frames}, ${spec.height}, ${spec.width}, 3]`);
      if (spec.depth && e.arrays[`depth_${camera}`] === undefined) add(`episode ${e.index}: depth_${camera} is missing`);
      if (spec.segmentation) {
        const seg = e.arrays[`seg_${camera}`];
        if (seg === undefined || JSON.stringify(seg.shape) !== JSON.stringify([e.num_frames, spec.height, spec.width]))
          add(`episode ${e.index}: seg_${camera} must be [${e.num_frames}, ${spec.height}, ${spec.width}]`);
        if (index.segmentation_legend === null)
          add(`camera "${camera}" has segmentation but index.json has no segmentation_legend to read it`);
      }
    }
    const bodies = e.arrays.priv_body_poses;
    if (bodies !== undefined && (index.bodies === null || bodies.shape[1] !== index.bodies.length))
      add(`episode ${e.index}: priv_body_poses has ${bodies.shape[1]} bodies, index.json names ${index.bodies?.length ?? 0}`);
    checkQuaternions(root, e, 'priv_body_poses', 3, add, index.bodies);
    checkQuaternions(root, e, 'priv_object_poses', 3, add);
    checkQuaternions(root, e, 'priv_target_pose', 3, add);
    checkQuaternions(root, e, 'ee_pose', 3, add);
    checkQuaternions(root, e, 'expert_target_pose', 3, add);
    checkLabels(root, index, e, add);
    checkActionBounds(root, index, e, add);
  }
}

export const gwmValidator: FormatValidator = {
  kind: 'gwm',
  detect: (path) => existsSync(join(path, 'index.json')),
  validate: async (path, report, problems) => validateGwm(path, report, (message) => problems.add(message)),
};
