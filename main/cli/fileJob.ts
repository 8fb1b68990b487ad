import { ExportCancelled } from '../export/ffmpeg';
import type { CliIo } from './command';

/** What export and import report as they go. */
export interface FileJobProgress {
  phase: string;
  done_episodes: number;
  total_episodes: number;
  done_frames: number;
  total_frames: number;
  eta_s: number | null;
}

/**
 * A file job (`studio export`, `studio import`) from the command line: Ctrl-C or SIGTERM cancels it,
 * progress goes to stderr (at most once a second while episodes are written, with the time left), and
 * a cancel says `cancelled` (what it left behind) and exits 1. `done` prints the summary.
 */
export async function runFileJob<S, P extends FileJobProgress>(
  io: CliIo,
  job: { kind: string; cancelled: string },
  run: (handlers: { signal: AbortSignal; onProgress: (progress: P) => void }) => Promise<S>,
  done: (summary: S) => void,
): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => {
    io.err(`\ncancelling the ${job.kind}…\n`);
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let lastLine = 0;
  try {
    const summary = await run({
      signal: controller.signal,
      onProgress: (p) => {
        const now = Date.now();
        if (now - lastLine < 1000 && p.phase === 'episodes') return;
        lastLine = now;
        const pct = p.total_frames > 0 ? ((100 * p.done_frames) / p.total_frames).toFixed(0) : '0';
        const eta = p.eta_s !== null && p.phase === 'episodes' ? `, ETA ${p.eta_s.toFixed(0)} s` : '';
        io.err(`${p.phase}: ${p.done_episodes}/${p.total_episodes} episodes, ${p.done_frames}/${p.total_frames} frames (${pct}%)${eta}\n`);
      },
    });
    done(summary);
    return 0;
  } catch (error) {
    if (error instanceof ExportCancelled) {
      io.err(`${job.kind} cancelled; ${job.cancelled}\n`);
      return 1;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
