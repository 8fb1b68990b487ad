import type { MjModel, Mujoco } from './mujoco';

export type ModelErrorKind = 'xml' | 'compile' | 'parse' | 'io' | 'unknown';

/** MuJoCo could not load a model; `message` is MuJoCo's own text (element and line) prefixed with the file. */
export class ModelLoadError extends Error {
  constructor(
    readonly kind: ModelErrorKind,
    readonly file: string,
    readonly mujocoMessage: string,
  ) {
    super(`${file}: ${mujocoMessage}`);
    this.name = 'ModelLoadError';
  }
}

interface CppException {
  name?: string;
  excPtr: number;
}

function isCppException(error: unknown): error is CppException {
  return typeof error === 'object' && error !== null && typeof (error as { excPtr?: unknown }).excPtr === 'number';
}

function cString(mujoco: Mujoco, pointer: number, max = 4096): string {
  const heap = new Uint8Array(mujoco.probe.GetView().buffer);
  let end = pointer;
  while (end < heap.length && heap[end] !== 0 && end - pointer < max) end++;
  return new TextDecoder().decode(heap.subarray(pointer, end));
}

let nextDir = 0;

/**
 * Compiles MJCF text. `file` names the source in errors. MuJoCo reports failures three ways, all turned
 * into a ModelLoadError carrying its message:
 * - schema and compile errors throw a C++ mjXError/mjCError whose JS `.message` is undefined; the text is
 *   the thrown object's first member, so it is read from the heap at `excPtr`;
 * - malformed XML and I/O errors do not throw: loadFromXML returns null after printing to stderr;
 * - anything else is an ordinary JS Error.
 */
export function loadModelFromString(mujoco: Mujoco, xml: string, file: string): MjModel {
  const { mj, log } = mujoco;
  const dir = `/model/m${nextDir++}`;
  const base = file.split(/[\\/]/).pop() || 'scene.xml';
  const path = `${dir}/${base}`;
  mj.FS.mkdir(dir);
  mj.FS.writeFile(path, xml);
  const logStart = log.length;
  let model: MjModel | null;
  try {
    model = mj.MjModel.loadFromXML(path);
  } catch (error) {
    if (isCppException(error)) {
      const kind: ModelErrorKind = error.name === 'mjXError' ? 'xml' : error.name === 'mjCError' ? 'compile' : 'unknown';
      // Never decrement the exception's refcount: that aborts the module (one small leak per failed load).
      throw new ModelLoadError(
        kind,
        file,
        cString(mujoco, error.excPtr)
          .trim()
          .replace(/\s*\n\s*/g, '; '),
      );
    }
    throw new ModelLoadError('unknown', file, error instanceof Error ? error.message : String(error));
  } finally {
    try {
      mj.FS.unlink(path);
      mj.FS.rmdir(dir);
    } catch {
      // best effort: MEMFS leftovers cost a few bytes
    }
  }
  if (model === null || model === undefined) {
    const printed =
      log
        .slice(logStart)
        .map((line) => line.trim().replace(/[:;]$/, ''))
        .filter((line) => line !== '')
        .join('; ') || 'MuJoCo could not load the model (no message)';
    throw new ModelLoadError(/XML parse error/.test(printed) ? 'parse' : 'io', file, printed);
  }
  return model;
}
