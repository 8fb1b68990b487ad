import { describe, expect, test } from 'vitest';
import { OrderedEncoder } from '../../../main/recording/orderedEncoder';

describe('ordered encoder', () => {
  test('delivers in push order even when encodes finish out of order, and reports failures in place', async () => {
    const delivered: [bigint, string][] = [];
    const failed: bigint[] = [];
    const encoder = new OrderedEncoder<string>(
      (t, v) => delivered.push([t, v]),
      (t) => failed.push(t),
    );
    const resolvers: ((v: string) => void)[] = [];
    let reject: (e: Error) => void = () => undefined;
    encoder.push(1n, () => new Promise((r) => resolvers.push(r)));
    encoder.push(2n, () => new Promise((_, j) => (reject = j)));
    encoder.push(3n, () => new Promise((r) => resolvers.push(r)));
    resolvers[1]!('third');
    reject(new Error('boom'));
    await Promise.resolve();
    expect(delivered).toEqual([]);
    resolvers[0]!('first');
    await encoder.idle();
    expect(delivered).toEqual([
      [1n, 'first'],
      [3n, 'third'],
    ]);
    expect(failed).toEqual([2n]);
    expect(encoder.pending).toBe(0);
  });
});
