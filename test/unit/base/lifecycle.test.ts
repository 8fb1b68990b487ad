import { describe, expect, test } from 'vitest';
import { AsyncDisposableStore, DisposableStore, toDisposable } from '../../../shared/base/disposable';
import { AsyncEmitter, Emitter } from '../../../shared/base/emitter';

describe('disposables', () => {
  test('a store releases in the order added, once; a late addition is released at once', () => {
    const released: string[] = [];
    const store = new DisposableStore();
    const a = store.add(toDisposable(() => released.push('a')));
    store.add(toDisposable(() => released.push('b')));
    a(); // called early: released now, not again with the store
    store.dispose();
    store.dispose();
    store.add(toDisposable(() => released.push('late')));
    expect(released).toEqual(['a', 'b', 'late']);
    expect(store.isDisposed).toBe(true);
  });

  test('one failing disposable does not keep the others alive', () => {
    const released: string[] = [];
    const store = new DisposableStore();
    store.add(
      toDisposable(() => {
        throw new Error('boom');
      }),
    );
    store.add(toDisposable(() => released.push('b')));
    expect(() => store.dispose()).toThrow('boom');
    expect(released).toEqual(['b']);
  });

  test('an async store releases last added first, one after another, and reports failures without stopping', async () => {
    const steps: string[] = [];
    const errors: unknown[] = [];
    const store = new AsyncDisposableStore((error) => errors.push(error));
    store.defer(async () => {
      await Promise.resolve();
      steps.push('world');
    });
    store.defer(() => {
      throw new Error('cameras failed');
    });
    store.defer(async () => {
      steps.push('recording start');
      await Promise.resolve();
      steps.push('recording end');
    });
    const first = store.dispose();
    const second = store.dispose();
    await Promise.all([first, second]);
    expect(steps).toEqual(['recording start', 'recording end', 'world']);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('cameras failed');
  });
});

describe('emitters', () => {
  test('every listener hears each value; a subscription ends by call or dispose', () => {
    const emitter = new Emitter<number>();
    const heard: string[] = [];
    const off = emitter.event((n) => heard.push(`a${n}`));
    const sub = emitter.event((n) => heard.push(`b${n}`));
    emitter.fire(1);
    off();
    emitter.fire(2);
    sub.dispose();
    emitter.fire(3);
    expect(heard).toEqual(['a1', 'b1', 'b2']);
    expect(emitter.hasListeners).toBe(false);
  });

  test('a throwing listener does not stop the others', () => {
    const errors: unknown[] = [];
    const emitter = new Emitter<string>((error) => errors.push(error));
    const heard: string[] = [];
    emitter.event(() => {
      throw new Error('bad listener');
    });
    emitter.event((value) => heard.push(value));
    emitter.fire('x');
    expect(heard).toEqual(['x']);
    expect(errors).toHaveLength(1);
    // Without an error handler the first error is rethrown after every listener ran.
    const strict = new Emitter<string>();
    strict.event(() => {
      throw new Error('first');
    });
    strict.event((value) => heard.push(value));
    expect(() => strict.fire('y')).toThrow('first');
    expect(heard).toEqual(['x', 'y']);
  });

  test('an async emitter waits for every listener and reports rejections', async () => {
    const errors: unknown[] = [];
    const emitter = new AsyncEmitter<void>((error) => errors.push(error));
    const done: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    emitter.event(async () => {
      await gate;
      done.push('slow');
    });
    emitter.event(() => Promise.reject(new Error('no')));
    const fired = emitter.fire();
    release();
    await fired;
    expect(done).toEqual(['slow']);
    expect(errors.map((e) => (e as Error).message)).toEqual(['no']);
  });
});
