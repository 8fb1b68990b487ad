/**
 * What every format's validator shares: the report, the problem list (capped, each naming the file and
 * what is wrong) and the interface a validator implements for the format registry (`formats.ts`).
 */

export const TOLERANCE_S = 1e-4;

export interface ValidationReport {
  path: string;
  format: 'lerobot-v3.0' | 'lerobot-v2.1' | 'robomimic' | 'gwm' | 'unknown';
  ok: boolean;
  problems: string[];
  episodes: number;
  frames: number;
  videos_probed: number;
}

export class Problems {
  readonly list: string[] = [];
  add(message: string): void {
    if (this.list.length < 200) this.list.push(message);
  }
}

/** One format's validator: whether a path holds its kind of dataset, and the checks. */
export interface FormatValidator {
  /** What the report calls the dataset (`ValidationReport.format`). */
  readonly kind: Exclude<ValidationReport['format'], 'unknown'>;
  detect(path: string): boolean;
  validate(path: string, report: ValidationReport, problems: Problems): Promise<void>;
}
