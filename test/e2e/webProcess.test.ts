import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, test } from 'vitest';
import { useTempDirs } from '../support/tempDir';
import { startWebMode, type RunningWebMode } from '../support/webMode';

/** `studio web` as a process, the way users run it. */
describe('studio web (process)', () => {
  const tempDir = useTempDirs();
  let web: RunningWebMode | undefined;
  afterEach(async () => {
    await web?.stop('SIGKILL');
    web = undefined;
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} shuts down cleanly: exit 0, database closed and consistent`, async () => {
      const dataDir = tempDir();
      web = await startWebMode(['--data-dir', dataDir]);
      const response = await fetch(web.url, { redirect: 'manual' });
      expect(response.status).toBe(303);
      expect(await web.stop(signal)).toBe(0);
      expect(web.stderr()).toMatch(`${signal}: shutting down`);
      expect(existsSync(join(dataDir, 'studio.db-wal'))).toBe(false);
      const db = new Database(join(dataDir, 'studio.db'), { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
    });
  }

  test('--host beyond loopback says so loudly', async () => {
    web = await startWebMode(['--data-dir', tempDir(), '--host', '0.0.0.0']);
    expect(web.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/\?token=/);
    expect(web.stderr()).toMatch(/WARNING: web mode is listening on 0\.0\.0\.0/);
    expect(web.stderr()).toMatch(/Anyone with the URL below can drive the robot/);
  });

  test('an invalid rig config stops startup with the file, the field and the fix', async () => {
    const rig = join(tempDir(), 'rig.json');
    writeFileSync(rig, '{"schema_version": 1, "name": "broken"}');
    const failed = await startWebMode(['--data-dir', tempDir(), '--rig', rig]).catch((error: Error) => error);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toMatch(`the rig config ${rig} is invalid`);
    expect((failed as Error).message).toMatch(/arm: /);
    expect((failed as Error).message).toMatch(/Fix: /);
  });
});
