import type { MjData } from './mujoco';

/**
 * Cached typed-array views into one MjData. Every property read through embind makes a new view, and
 * every view detaches (length 0) when the wasm heap grows, so hot loops call `fresh()` which re-reads
 * them only when that has happened.
 */
export class DataViews {
  qpos!: Float64Array;
  qvel!: Float64Array;
  ctrl!: Float64Array;
  qfrc_bias!: Float64Array;
  xpos!: Float64Array;
  xquat!: Float64Array;
  site_xpos!: Float64Array;
  site_xmat!: Float64Array;
  geom_xpos!: Float64Array;
  geom_xmat!: Float64Array;

  constructor(private readonly data: MjData) {
    this.refresh();
  }

  refresh(): void {
    const d = this.data;
    this.qpos = d.qpos;
    this.qvel = d.qvel;
    this.ctrl = d.ctrl;
    this.qfrc_bias = d.qfrc_bias;
    this.xpos = d.xpos;
    this.xquat = d.xquat;
    this.site_xpos = d.site_xpos;
    this.site_xmat = d.site_xmat;
    this.geom_xpos = d.geom_xpos;
    this.geom_xmat = d.geom_xmat;
  }

  fresh(): this {
    if (this.qpos.length === 0) this.refresh();
    return this;
  }
}
