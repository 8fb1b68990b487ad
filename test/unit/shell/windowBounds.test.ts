import { describe, expect, test } from 'vitest';
import { restoreWindowState } from '../../../main/shell/windowBounds';

const laptop = { x: 0, y: 0, width: 1920, height: 1080 };
const external = { x: 1920, y: 0, width: 3840, height: 2160 };

describe('remembered window bounds', () => {
  test('are restored when they are on a current display', () => {
    expect(restoreWindowState({ x: 100, y: 80, width: 1400, height: 900, maximized: true }, [laptop])).toEqual({
      x: 100,
      y: 80,
      width: 1400,
      height: 900,
      maximized: true,
    });
    expect(restoreWindowState({ x: 2500, y: 100, width: 1400, height: 900 }, [laptop, external])).toMatchObject({
      x: 2500,
      maximized: false,
    });
  });

  test('are dropped when the monitor they were on is gone, or they are nonsense', () => {
    expect(restoreWindowState({ x: 2500, y: 100, width: 1400, height: 900 }, [laptop])).toBeUndefined();
    expect(restoreWindowState({ x: 1900, y: 100, width: 1400, height: 900 }, [laptop])).toBeUndefined();
    expect(restoreWindowState({ x: 0, y: 0, width: 50, height: 50 }, [laptop])).toBeUndefined();
    expect(restoreWindowState({ x: 'a', y: 0, width: 1000, height: 800 }, [laptop])).toBeUndefined();
    expect(restoreWindowState(null, [laptop])).toBeUndefined();
  });
});
