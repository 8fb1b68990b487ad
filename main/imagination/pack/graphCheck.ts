import { StudioError } from '../../../shared/api/errors';
import type { Dim, GraphName, GwmManifest, TensorDecl } from './manifest';

/** What a loaded ONNX graph says about one input or output (onnxruntime's value metadata, narrowed). */
export interface GraphValue {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}

export interface GraphSignature {
  inputs: readonly GraphValue[];
  outputs: readonly GraphValue[];
}

/**
 * The numbers the manifest states elsewhere pin the declared shapes' fixed dimensions: the latent is
 * M×D, the denoiser sees T context frames and L×A actions, the policy P proprio values and its noise.
 * A symbolic dimension (`"B"`, `"N"`) must be dynamic in the graph too.
 */
function expectedShapes(m: GwmManifest): Partial<Record<GraphName, Record<string, Dim[]>>> {
  const { M, D } = m.latent;
  const L = m.actions.chunk_length;
  const A = m.actions.names.length;
  const T = m.dynamics.context_frames;
  return {
    encoder: { gaussians: ['B', 'N', 14], gaussian_mask: ['B', 'N'], latent: ['B', M, D] },
    decoder: { latent_src: ['B', M, D], latent_tgt: ['B', M, D], query_gaussians: ['B', 'Nq', 14], gaussians: ['B', 'Nq', 14] },
    denoiser: {
      noisy_latent: ['B', M, D],
      sigma: ['B'],
      context_latents: ['B', T, M, D],
      actions: ['B', L, A],
      denoised_latent: ['B', M, D],
    },
    success: { latent_traj: ['B', 'S', M, D], success_logit: ['B'], success_prob: ['B'], progress: ['B', 'S'] },
    policy: {
      latent: ['B', M, D],
      proprio: ['B', m.proprio.names.length],
      policy_noise: ['B', m.policy?.noise_dim ?? 0],
      actions: ['B', L, A],
    },
  };
}

const show = (shape: readonly Dim[]): string => `[${shape.join(', ')}]`;

function sameShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => (typeof d === 'string' ? typeof b[i] === 'string' : d === b[i]));
}

/**
 * Checks one graph against its manifest declaration and the contract: every declared tensor present
 * with its dtype and shape, nothing required missing. Returns every mismatch (which graph, which
 * tensor, expected vs found), so a user fixing an export sees them all at once.
 */
export function graphMismatches(manifest: GwmManifest, graph: GraphName, signature: GraphSignature): string[] {
  const decl = manifest.io[graph];
  if (decl === undefined) return [];
  const contract = expectedShapes(manifest)[graph] ?? {};
  const problems: string[] = [];
  const check = (side: 'input' | 'output', declared: readonly TensorDecl[], found: readonly GraphValue[]) => {
    for (const t of declared) {
      const value = found.find((v) => v.name === t.name);
      if (value === undefined) {
        problems.push(
          `${graph} ${side} "${t.name}": declared in the manifest, not in ${decl.file} (it has ${found.map((v) => v.name).join(', ') || 'none'})`,
        );
        continue;
      }
      if (!value.isTensor) {
        problems.push(`${graph} ${side} "${t.name}": not a tensor in ${decl.file}`);
        continue;
      }
      if (value.type !== t.dtype)
        problems.push(`${graph} ${side} "${t.name}": manifest says ${t.dtype}, ${decl.file} has ${value.type ?? 'no type'}`);
      const shape = value.shape ?? [];
      if (!sameShape(t.shape, shape))
        problems.push(`${graph} ${side} "${t.name}": manifest says shape ${show(t.shape)}, ${decl.file} has ${show(shape)}`);
      const want = contract[t.name];
      if (want !== undefined && !sameShape(want, t.shape))
        problems.push(
          `${graph} ${side} "${t.name}": the manifest's shape ${show(t.shape)} disagrees with its own numbers, which give ${show(want)}`,
        );
    }
    for (const v of found)
      if (!declared.some((t) => t.name === v.name))
        problems.push(`${graph} ${side} "${v.name}": in ${decl.file} but not declared in the manifest`);
  };
  check('input', decl.inputs, signature.inputs);
  check('output', decl.outputs, signature.outputs);
  for (const name of Object.keys(contract)) {
    if (!decl.inputs.some((t) => t.name === name) && !decl.outputs.some((t) => t.name === name))
      problems.push(`${graph}: the contract's tensor "${name}" is not declared`);
  }
  return problems;
}

/** Throws one StudioError listing every mismatch of every graph, if there is any. */
export function assertGraphsMatch(manifest: GwmManifest, where: string, signatures: Partial<Record<GraphName, GraphSignature>>): void {
  const problems = (Object.entries(signatures) as [GraphName, GraphSignature][]).flatMap(([graph, signature]) =>
    graphMismatches(manifest, graph, signature),
  );
  if (problems.length === 0) return;
  throw new StudioError({
    code: 'failed_precondition',
    message: `the pack ${where} does not match its manifest:\n  - ${problems.join('\n  - ')}`,
    fix: 'Re-export the pack with `python -m gwmlite export` so graphs and manifest are written together (docs/world-model.md#the-pack-contract).',
    issues: problems.map((message) => ({ path: 'io', message })),
  });
}
