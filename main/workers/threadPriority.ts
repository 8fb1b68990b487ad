import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

export type ThreadPriority = { applied: true; tid: number; nice: number } | { applied: false; reason: string };

/**
 * Sets the calling thread's nice value (Linux: `setpriority` on the thread id from /proc/thread-self,
 * which affects this thread only). Lowering priority (a higher nice) is always allowed; raising it
 * needs CAP_SYS_NICE or an RLIMIT_NICE, so callers treat that as a wish and report the outcome.
 */
export function setThreadNice(nice: number): ThreadPriority {
  if (process.platform !== 'linux')
    return { applied: false, reason: `per-thread priority is only set on Linux (this is ${process.platform})` };
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return { applied: false, reason: 'cannot read this thread id from /proc/thread-self' };
    setPriority(tid, nice);
    return { applied: true, tid, nice: getPriority(tid) };
  } catch (error) {
    return { applied: false, reason: (error as Error).message };
  }
}
