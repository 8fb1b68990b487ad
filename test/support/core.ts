import { startCore, type Core, type CoreOptions } from '../../main/core/core';
import { createMemoryLogger } from '../../main/core/logger';

/** A real core on a temp data dir, with logs captured instead of printed. */
export function startTestCore(dataDir: string, options: Partial<CoreOptions> = {}): Core & { logLines: string[] } {
  const log = createMemoryLogger();
  const core = startCore({ dataDir, mode: 'web', log, ...options });
  return Object.assign(core, { logLines: log.lines });
}
