import { describe, expect, test } from 'vitest';
import { secureWebPreferences } from '../../../main/shell/webPreferences';

describe('renderer web preferences', () => {
  test('isolate and sandbox the renderer, with no Node anywhere', () => {
    expect(secureWebPreferences('/app/preload.cjs')).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });
});
