import { useCallback, useEffect, useRef, useState } from 'react';
import type { Result } from '../../../../../shared/api/contract';
import { useStudio } from '../../../app/studioContext';
import type { ForesightOverlay } from '../../../scene/extensions/foresightOverlay';
import type { SceneRenderer } from '../../../scene/SceneRenderer';
import { decodeSplats, type SplatSequence } from '../../../scene/splats/splatData';

export type Preview = Result<'foresight.preview'>;
export type PackInfo = Result<'foresight.open'>;
export type PackListing = Result<'foresight.packs'>['packs'][number];
export type Provider = 'auto' | 'cuda' | 'webgpu' | 'cpu';
export type CandidateSource = 'policy' | 'teleop' | 'perturb';

export interface Problem {
  message: string;
  fix?: string | undefined;
}

export type PackState =
  | { state: 'loading' }
  | { state: 'none' }
  | { state: 'opening' }
  | { state: 'open'; info: PackInfo }
  | { state: 'error'; problem: Problem };

/**
 * idle: nothing shown · imagining: a preview is being computed · pending: candidates shown, waiting
 * for the operator · executing: an approved chunk is running · decided: approved/rejected, shown until
 * the next preview · watching: a policy run's preview, no decision asked.
 */
export type Phase = 'idle' | 'imagining' | 'pending' | 'executing' | 'decided' | 'watching';

export type Outcome =
  | { kind: 'approved'; candidate: number; run_id: number; played: number; clipped: number; estopped: boolean; auto: boolean }
  | { kind: 'rejected'; run_id: number }
  | null;

export interface ImaginationSettings {
  K: number;
  H: number;
  source: CandidateSource;
}

export interface Imagination {
  pack: PackState;
  packs: readonly PackListing[];
  openPack(dir: string | undefined, provider: Provider): void;
  settings: ImaginationSettings;
  setSettings(patch: Partial<ImaginationSettings>): void;
  phase: Phase;
  preview: Preview | null;
  /** Decoded imagined Gaussians per candidate position (null while loading). */
  splats: readonly (SplatSequence | null)[];
  selected: number;
  select(position: number): void;
  imagine(): void;
  approve(which: number | 'auto'): void;
  reject(): void;
  /** A policy run's newest preview (waiting: the run asks the operator to approve or reject it). */
  showPolicyPreview(preview: Preview | null, waiting: boolean): void;
  outcome: Outcome;
  problem: Problem | null;
  /** Time to fetch and decode every candidate's splats after the preview arrived (ms). */
  splats_ms: number | null;
}

function problemOf(error: unknown): Problem {
  const { message, fix } = error as { message?: string; fix?: string };
  return { message: message ?? String(error), fix };
}

/** Fetches at most this many candidates' splats at once (each is ~0.6 MB of base64 for H = 4, N = 2,048). */
const SPLAT_FETCHES = 2;

/**
 * The imagination state of the Teleop view: the pack, one preview at a time, its candidates' splats,
 * the selection and the decision; it drives the main scene's overlay. Every call goes through
 * StudioApi; a newer preview supersedes an older one (late splats of the old one are dropped).
 */
export function useImagination(scene: SceneRenderer | null): Imagination {
  const studio = useStudio();
  const [pack, setPack] = useState<PackState>({ state: 'loading' });
  const [packs, setPacks] = useState<readonly PackListing[]>([]);
  const [settings, setSettingsState] = useState<ImaginationSettings>({ K: 8, H: 4, source: 'policy' });
  const [phase, setPhase] = useState<Phase>('idle');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [splats, setSplats] = useState<readonly (SplatSequence | null)[]>([]);
  const [selected, setSelected] = useState(0);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [splatsMs, setSplatsMs] = useState<number | null>(null);
  const generation = useRef(0);
  const phaseRef = useRef(phase);
  useEffect(() => {
    phaseRef.current = phase;
  }, [phase]);

  useEffect(() => {
    let live = true;
    studio.api.foresight.status().then(
      ({ pack: info }) => live && setPack(info === null ? { state: 'none' } : { state: 'open', info }),
      (error: unknown) => live && setPack({ state: 'error', problem: problemOf(error) }),
    );
    studio.api.foresight.packs().then(
      ({ packs: found }) => live && setPacks(found),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [studio]);

  const openPack = useCallback(
    (dir: string | undefined, provider: Provider) => {
      setPack({ state: 'opening' });
      studio.api.foresight.open({ ...(dir !== undefined ? { dir } : {}), provider }).then(
        (info) => setPack({ state: 'open', info }),
        (error: unknown) => setPack({ state: 'error', problem: problemOf(error) }),
      );
    },
    [studio],
  );

  const setSettings = useCallback((patch: Partial<ImaginationSettings>) => setSettingsState((s) => ({ ...s, ...patch })), []);

  /** Shows a preview and loads its candidates' splats (the best first: it is selected). */
  const show = useCallback(
    (next: Preview, nextPhase: Phase, only: 'all' | 'best' = 'all') => {
      const gen = ++generation.current;
      setPreview(next);
      setSelected(next.best);
      setSplats(next.candidates.map(() => null));
      setPhase(nextPhase);
      setSplatsMs(null);
      const started = performance.now();
      // A policy run's previews come every chunk: decoding all K each time would compete with the run's own imagination.
      const order = only === 'best' ? [next.best] : [next.best, ...next.candidates.map((_, i) => i).filter((i) => i !== next.best)];
      let cursor = 0;
      let done = 0;
      const worker = async (): Promise<void> => {
        while (cursor < order.length && gen === generation.current) {
          const position = order[cursor++]!;
          const candidate = next.candidates[position]!;
          // The core decodes a candidate when first asked; on a busy machine that can outlast one RPC timeout: ask twice.
          let answer: Awaited<ReturnType<typeof studio.api.foresight.splats>> | null = null;
          let lastError: unknown = null;
          for (let attempt = 0; attempt < 2 && answer === null && gen === generation.current; attempt++) {
            answer = await studio.api.foresight
              .splats({ preview_id: next.preview_id, candidate: candidate.index })
              .catch((error: unknown) => {
                lastError = error;
                return null;
              });
          }
          if (gen !== generation.current) return;
          if (answer === null)
            setProblem({
              message: `Candidate ${candidate.index + 1}'s imagined scene could not be loaded: ${problemOf(lastError).message}`,
            });
          else {
            const sequence = decodeSplats(answer);
            setSplats((current) => current.map((s, i) => (i === position ? sequence : s)));
          }
          if (++done === order.length) setSplatsMs(performance.now() - started);
        }
      };
      for (let i = 0; i < SPLAT_FETCHES; i++) void worker();
    },
    [studio],
  );

  const imagine = useCallback(() => {
    if (phaseRef.current === 'imagining' || phaseRef.current === 'executing') return;
    if (pack.state !== 'open') {
      setProblem({ message: 'No world-model pack is open.', fix: 'Load one in the Imagination panel first.' });
      return;
    }
    const gen = ++generation.current;
    setPhase('imagining');
    setProblem(null);
    setOutcome(null);
    studio.api.foresight.preview({ K: settings.K, H: settings.H, source: settings.source }).then(
      (next) => {
        if (gen === generation.current) show(next, 'pending');
      },
      (error: unknown) => {
        if (gen !== generation.current) return;
        setProblem(problemOf(error));
        setPhase(preview === null ? 'idle' : 'decided');
      },
    );
  }, [studio, pack, settings, show, preview]);

  const approve = useCallback(
    (which: number | 'auto') => {
      if (preview === null || (phaseRef.current !== 'pending' && phaseRef.current !== 'watching')) return;
      const candidate = which === 'auto' ? 'auto' : preview.candidates[which]!.index;
      setPhase('executing');
      setProblem(null);
      studio.api.foresight.approve({ preview_id: preview.preview_id, candidate }).then(
        (result) => {
          setOutcome({
            kind: 'approved',
            candidate: result.candidate,
            run_id: result.run_id,
            played: result.played,
            clipped: result.clipped,
            estopped: result.estopped,
            auto: which === 'auto',
          });
          setSelected(preview.candidates.findIndex((c) => c.index === result.candidate));
          setPhase('decided');
        },
        (error: unknown) => {
          setProblem(problemOf(error));
          setPhase('pending');
        },
      );
    },
    [studio, preview],
  );

  const reject = useCallback(() => {
    if (preview === null || (phaseRef.current !== 'pending' && phaseRef.current !== 'watching')) return;
    studio.api.foresight.reject({ preview_id: preview.preview_id }).then(
      ({ run_id }) => {
        setOutcome({ kind: 'rejected', run_id });
        setPhase('decided');
      },
      (error: unknown) => setProblem(problemOf(error)),
    );
  }, [studio, preview]);

  const select = useCallback(
    (position: number) => {
      if (preview === null || position < 0 || position >= preview.candidates.length) return;
      setSelected(position);
    },
    [preview],
  );

  const showPolicyPreview = useCallback(
    (next: Preview | null, waiting: boolean) => {
      if (next === null) return;
      if (preview?.preview_id === next.preview_id) {
        setPhase(waiting ? 'pending' : 'watching');
        return;
      }
      setOutcome(null);
      show(next, waiting ? 'pending' : 'watching', waiting ? 'all' : 'best');
    },
    [preview, show],
  );

  // The main scene's overlay follows the preview, the selection and the selected candidate's splats.
  const overlay = scene?.extension<ForesightOverlay>('foresight');
  useEffect(() => {
    if (overlay === undefined) return;
    if (preview === null || phase === 'idle') overlay.clear();
    else overlay.setCandidates(preview.candidates, preview.candidates[selected]?.index ?? -1);
  }, [overlay, preview, phase, selected]);
  const selectedSplats = splats[selected] ?? null;
  useEffect(() => {
    overlay?.setSplats(phase === 'idle' ? null : selectedSplats);
  }, [overlay, selectedSplats, phase]);

  return {
    pack,
    packs,
    openPack,
    settings,
    setSettings,
    phase,
    preview,
    splats,
    selected,
    select,
    imagine,
    approve,
    reject,
    showPolicyPreview,
    outcome,
    problem,
    splats_ms: splatsMs,
  };
}
