import type uPlot from 'uplot';

/**
 * Fixed-size columns for live plots: push is O(width) with no allocation; `columns()` copies out in
 * time order for uPlot when the plot refreshes (a few times a second, not per sample).
 */
export class RingColumns {
  private readonly cols: Float64Array[];
  private head = 0;
  private size = 0;

  constructor(
    readonly width: number,
    readonly capacity: number,
  ) {
    this.cols = Array.from({ length: width + 1 }, () => new Float64Array(capacity));
  }

  push(t_s: number, values: readonly number[]): void {
    this.cols[0]![this.head] = t_s;
    for (let k = 0; k < this.width; k++) this.cols[k + 1]![this.head] = values[k] ?? Number.NaN;
    this.head = (this.head + 1) % this.capacity;
    this.size = Math.min(this.capacity, this.size + 1);
  }

  get length(): number {
    return this.size;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  columns(): uPlot.AlignedData {
    const start = (this.head - this.size + this.capacity) % this.capacity;
    return this.cols.map((col) => {
      const out = new Float64Array(this.size);
      const first = Math.min(this.size, this.capacity - start);
      out.set(col.subarray(start, start + first), 0);
      if (first < this.size) out.set(col.subarray(0, this.size - first), first);
      return out as unknown as number[];
    }) as unknown as uPlot.AlignedData;
  }
}
