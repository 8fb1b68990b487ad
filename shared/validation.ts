import type { z } from 'zod';

export interface Issue {
  path: string;
  message: string;
}

/** `cameras[1].fps` style paths, readable in an error message and stable enough for the UI to match on. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** One line per issue: `cameras[1].fps: Too small: expected number to be >0`. */
export function describeIssues(issues: readonly Issue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join('\n');
}
