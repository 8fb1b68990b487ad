import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, test } from 'vitest';
import { EStopLatchedBar, type EStopState } from '../../renderer/src/app/EStop';

const noop = () => undefined;
const state = (over: Partial<EStopState>): EStopState => ({
  estopped: false,
  fault: null,
  error: null,
  stop: noop,
  release: noop,
  ...over,
});
const bar = (over: Partial<EStopState>, teleopKeys = true) =>
  renderToStaticMarkup(createElement(EStopLatchedBar, { estop: state(over), teleopKeys }));

describe('the e-stop latched bar (pinned under the top bar in every view)', () => {
  test('is absent while the e-stop is released and nothing failed', () => {
    expect(bar({})).toBe('');
  });

  test('latched: says so, with the release (its key only where the key works)', () => {
    const html = bar({ estopped: true });
    expect(html).toContain('E-STOPPED');
    expect(html).toContain('recording cannot start until you release');
    expect(html).toContain('data-testid="estop-release"');
    expect(html).toContain('Shift + Esc');
    expect(bar({ estopped: true }, false)).not.toContain('Shift + Esc');
  });

  test('latched by a device fault: the reason is shown until released', () => {
    const html = bar({ estopped: true, fault: 'arm: command rejected (joint 4 limit)' });
    expect(html).toContain('data-testid="estop-fault"');
    expect(html).toContain('Stopped by a device fault: arm: command rejected (joint 4 limit). Fix it, then release.');
  });

  test('a stop the core did not confirm is shown even before any latch', () => {
    expect(bar({ error: 'E-stop failed: socket closed. Use the hardware e-stop.' })).toContain('Use the hardware e-stop.');
  });
});
