import { EventEmitter } from 'node:events';
import { describe, expect, test } from 'vitest';
import { closeOnSignals, type SignalSource } from '../../../main/core/shutdown';
import { createMemoryLogger } from '../../../main/core/logger';

describe('graceful shutdown', () => {
  test('the first signal runs close once and resolves; the listeners are removed afterwards', async () => {
    const signals = new EventEmitter();
    let closes = 0;
    const done = closeOnSignals(
      async () => void closes++,
      createMemoryLogger(),
      signals as unknown as SignalSource,
      () => {
        throw new Error('must not force-exit');
      },
    );
    signals.emit('SIGTERM');
    await done;
    expect(closes).toBe(1);
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
  });

  test('a second signal while closing forces exit 130', async () => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    let finishClose: () => void = () => undefined;
    const done = closeOnSignals(
      () => new Promise<void>((resolve) => (finishClose = resolve)),
      createMemoryLogger(),
      signals as unknown as SignalSource,
      (code) => exits.push(code),
    );
    signals.emit('SIGINT');
    signals.emit('SIGINT');
    expect(exits).toEqual([130]);
    finishClose();
    await done;
  });
});
