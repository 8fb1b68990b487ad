import type { Clock } from '../../main/devices/types';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private t_ns = 1_000_000_000n) {}
  now_ns(): bigint {
    return this.t_ns;
  }
  advance_ms(ms: number): bigint {
    this.t_ns += BigInt(Math.round(ms * 1e6));
    return this.t_ns;
  }
}
