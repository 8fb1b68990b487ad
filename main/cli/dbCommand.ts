import { statSync } from 'node:fs';
import { StudioError } from '../../shared/api/errors';
import { APP_VERSION } from '../appInfo';
import { openStore, type Store } from '../store/database';
import { EpisodeStore } from '../store/episodeStore';
import { checkStore, liveWriterPids, markInterrupted, strandedRecordingIds } from '../store/health';
import { UsageError, type Command } from './command';

const actions = ['check', 'info', 'vacuum', 'save', 'discard'] as const;
type Action = (typeof actions)[number];

function withStore<T>(dataDir: string, use: (store: Store) => T): T {
  const store = openStore({ dataDir, appVersion: APP_VERSION });
  try {
    return use(store);
  } finally {
    store.close();
  }
}

export const dbCommand: Command = {
  name: 'db',
  summary: 'Inspect and maintain the studio database: check, info, vacuum, save or discard an interrupted episode.',
  usage: 'check | info [--json] | vacuum | save EPISODE | discard EPISODE',
  options: { json: { type: 'boolean' } },
  optionHelp: { json: 'machine-readable output (info, check)' },
  allowPositionals: true,
  async run({ io, global, values, positionals }) {
    const [action, ...rest] = positionals;
    if (action === undefined || !(actions as readonly string[]).includes(action)) {
      throw new UsageError(`expected one of ${actions.join(', ')}${action === undefined ? '' : `, not "${action}"`}`);
    }
    const json = values.json === true;
    switch (action as Action) {
      case 'check': {
        const problems = withStore(global.dataDir, (store) => checkStore(store.db));
        if (json) io.out(`${JSON.stringify({ ok: problems.length === 0, problems })}\n`);
        else if (problems.length === 0) io.out('ok: integrity, foreign keys, stream counts; no interrupted episodes\n');
        else
          for (const problem of problems)
            io.out(`${problem.kind}: ${problem.message}${problem.fix !== undefined ? `\n  fix: ${problem.fix}` : ''}\n`);
        return problems.length === 0 ? 0 : 1;
      }
      case 'info': {
        const info = withStore(global.dataDir, (store) => {
          const episodeStore = new EpisodeStore(store.db);
          const episodes = episodeStore.summaries({ status: ['recording', 'saved', 'interrupted', 'discarded'] });
          // A 'recording' row whose process is gone is interrupted (as `db check` says), not recording.
          const stranded = strandedRecordingIds(store.db);
          const sessions = episodeStore.sessionCount();
          return {
            database: store.path,
            schema_version: store.schemaVersion,
            size_bytes: statSync(store.path).size,
            sessions,
            episodes: episodes.map((e) => ({
              id: e.id,
              status: stranded.has(e.id) ? 'interrupted' : e.status,
              outcome: e.outcome,
              task: e.task,
              frames: e.frames,
              duration_s: Number(e.duration_s.toFixed(3)),
              dropped: e.dropped,
              tags: e.tags,
            })),
          };
        });
        if (json) {
          io.out(`${JSON.stringify(info)}\n`);
          return 0;
        }
        io.out(
          `${info.database} (schema v${info.schema_version}, ${(info.size_bytes / 1e6).toFixed(1)} MB): ${info.sessions} sessions, ${info.episodes.length} episodes\n`,
        );
        for (const e of info.episodes) {
          io.out(
            `  #${String(e.id).padEnd(5)} ${e.status.padEnd(11)} ${e.outcome.padEnd(8)} ${String(e.frames).padStart(6)} frames ${e.duration_s.toFixed(1).padStart(7)} s  ${e.task}\n`,
          );
        }
        return 0;
      }
      case 'vacuum': {
        const [before, after] = withStore(global.dataDir, (store) => {
          const size = statSync(store.path).size;
          store.vacuum();
          return [size, statSync(store.path).size];
        });
        io.out(`vacuumed: ${(before / 1e6).toFixed(1)} MB → ${(after / 1e6).toFixed(1)} MB\n`);
        return 0;
      }
      case 'save':
      case 'discard': {
        const id = Number(rest[0]);
        if (!Number.isInteger(id) || id <= 0) throw new UsageError(`${action} needs an episode id, e.g. \`studio db ${action} 12\``);
        withStore(global.dataDir, (store) => {
          markInterrupted(store.db, new Set(liveWriterPids(store.db)));
          new EpisodeStore(store.db).resolveInterrupted(id, action === 'save' ? 'saved' : 'discarded');
        });
        io.out(`episode ${id} ${action === 'save' ? 'saved' : 'discarded'}\n`);
        return 0;
      }
    }
    throw new StudioError({ code: 'internal', message: `unhandled db action ${action}` });
  },
};
