import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { ExportJob } from '../../../shared/api/contract';
import type { Core } from '../../../main/core/core';
import { validateDataset } from '../../../main/export/validate';
import { startTestCore } from '../../support/core';
import { makeJpegFrames, recordEpisodes } from '../../support/recordedEpisodes';
import { useTempDirs } from '../../support/tempDir';

describe('exports through StudioApi (worker thread, progress events, cancel)', () => {
  const tempDir = useTempDirs();
  const jpegFrames = makeJpegFrames(6);
  let core: Core | undefined;
  afterEach(async () => {
    await core?.close();
    core = undefined;
  });

  async function setup(episodes = 2) {
    const dataDir = tempDir();
    await recordEpisodes(dataDir, {
      episodes: Array.from({ length: episodes }, (_, i) => ({
        task: i % 2 === 0 ? 'pick' : 'place',
        outcome: 'success' as const,
        duration_s: 2,
      })),
      jpegFrames,
    });
    core = startTestCore(dataDir);
    const connection = core.connect({ transport: 'in-process' });
    const call = async (method: string, params: unknown): Promise<ExportJob> => {
      const outcome = await connection.call(method, params);
      if (!outcome.ok) throw new Error(outcome.error.message);
      return outcome.result as ExportJob;
    };
    const finished = (id: number) =>
      new Promise<ExportJob>((resolve) => {
        const off = core!.events.subscribe((name, payload) => {
          const job = payload as ExportJob;
          if (name === 'export.progress' && job.id === id && job.state !== 'running') {
            off();
            resolve(job);
          }
        });
      });
    return { call, finished, progress: [] as ExportJob[] };
  }

  test('a dry run plans, a real run writes a dataset the validator accepts, with progress on the way', async () => {
    const { call, finished } = await setup();
    const plan = await call('export.start', { format: 'lerobot', out: join(tempDir(), 'unused'), dry_run: true, valid_fraction: 0.5 });
    const planned = await finished(plan.id);
    expect(planned).toMatchObject({ state: 'done', summary: { dry_run: true, tasks: ['pick', 'place'], bytes: 0 } });
    expect(planned.summary?.episodes.map((e) => e.split).sort()).toEqual(['train', 'valid']);

    const seen: ExportJob[] = [];
    core!.events.subscribe((name, payload) => name === 'export.progress' && seen.push(payload as ExportJob));
    const out = join(tempDir(), 'dataset');
    const job = await call('export.start', { format: 'lerobot', out, vcodec: 'h264' });
    const done = await finished(job.id);
    expect(done.state).toBe('done');
    expect(seen.some((j) => j.state === 'running' && j.progress !== null && j.progress.done_frames > 0)).toBe(true);
    const report = await validateDataset(out);
    expect(report.problems).toEqual([]);
    expect(report.episodes).toBe(2);
  }, 60_000);

  test('cancel leaves nothing behind; a bad request fails with the reason', async () => {
    const { call, finished } = await setup(4);
    const parent = tempDir();
    const out = join(parent, 'dataset');
    const job = await call('export.start', { format: 'lerobot', out, vcodec: 'h264' });
    await call('export.cancel', { id: job.id });
    const ended = await finished(job.id);
    expect(ended.state).toBe('cancelled');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(parent).filter((name) => name.includes('partial'))).toEqual([]);

    const failed = await finished((await call('export.start', { format: 'lerobot', out: parent })).id);
    expect(failed).toMatchObject({ state: 'failed', error: { message: expect.stringContaining('already exists') } });
  }, 60_000);
});
