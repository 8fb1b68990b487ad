import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EXPORT_FORMAT_SPECS } from '../../../main/export/formats';
import { EXPORT_FORMATS } from '../../../main/export/types';
import { validateDataset } from '../../../main/export/validate';

describe('the export format registry', () => {
  test('every format id has one writer and one validator, and the validators tell datasets apart', () => {
    expect(Object.keys(EXPORT_FORMAT_SPECS).sort()).toEqual([...EXPORT_FORMATS].sort());
    const kinds = Object.values(EXPORT_FORMAT_SPECS).map((spec) => spec.validator.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    const root = mkdtempSync(join(tmpdir(), 'studio-formats-'));
    try {
      const v3 = join(root, 'v3');
      mkdirSync(join(v3, 'meta'), { recursive: true });
      writeFileSync(join(v3, 'meta/info.json'), JSON.stringify({ codebase_version: 'v3.0' }));
      const gwm = join(root, 'gwm');
      mkdirSync(gwm);
      writeFileSync(join(gwm, 'index.json'), '{}');
      const h5 = join(root, 'demo.hdf5');
      writeFileSync(h5, '');
      const detected = (path: string) =>
        Object.entries(EXPORT_FORMAT_SPECS)
          .filter(([, spec]) => spec.validator.detect(path))
          .map(([id]) => id);
      expect(detected(v3)).toEqual(['lerobot']);
      expect(detected(gwm)).toEqual(['gwm']);
      expect(detected(h5)).toEqual(['robomimic']);
      expect(detected(root)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a directory that is no dataset, or a LeRobot version this studio does not write, is named as such', async () => {
    const root = mkdtempSync(join(tmpdir(), 'studio-formats-'));
    try {
      expect((await validateDataset(root)).problems).toEqual([
        `${root} is not a dataset this studio writes (no meta/info.json, index.json, or .hdf5 file)`,
      ]);
      mkdirSync(join(root, 'meta'));
      writeFileSync(join(root, 'meta/info.json'), JSON.stringify({ codebase_version: 'v1.6' }));
      expect(await validateDataset(root)).toMatchObject({
        ok: false,
        format: 'unknown',
        problems: ['meta/info.json: codebase_version v1.6 is not v3.0 or v2.1'],
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
