import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  APP_ORIGIN,
  focusFirstInstance,
  navigationAllowed,
  rendererFileFor,
  windowOpenDecision,
  withAppSecurityHeaders,
} from '../../../main/shell/shellPolicy';
import { contentSecurityPolicy } from '../../../main/web/security';

/**
 * The Electron shell's hardening (README: sandbox, context isolation, CSP, app:// protocol, navigation
 * blocked, single instance), decided by main/shell/shellPolicy.ts without Electron, so it is tested
 * on every machine; test/electron/shell.test.ts checks the wiring where an Electron binary exists.
 */
describe('navigation', () => {
  const packaged = [APP_ORIGIN];
  const dev = [APP_ORIGIN, 'http://localhost:5173'];

  test.each([
    ['app://studio/index.html', packaged, true],
    ['app://studio/#/episodes', packaged, true],
    ['app://studio:443/index.html', packaged, false],
    ['app://studio.evil.example/index.html', packaged, false],
    ['app://other/index.html', packaged, false],
    ['https://example.com/', packaged, false],
    ['http://localhost:5173/', packaged, false],
    ['file:///etc/passwd', packaged, false],
    ['javascript:alert(1)', packaged, false],
    ['data:text/html,<script>alert(1)</script>', packaged, false],
    ['not a url', packaged, false],
    ['http://localhost:5173/index.html', dev, true],
    ['http://localhost:5174/', dev, false],
    ['https://localhost:5173/', dev, false],
  ] as const)('%s with trusted %j: allowed = %s', (url, trusted, allowed) => {
    expect(navigationAllowed(trusted, url)).toBe(allowed);
  });

  test.each([
    ['https://github.com/foresight/docs', true],
    ['HTTPS://example.com/', true],
    ['http://example.com/', false],
    ['app://studio/index.html', false],
    ['file:///home/user/.ssh/id_rsa', false],
    ['javascript:alert(1)', false],
    ['mailto:someone@example.com', false],
    ['', false],
  ])('window.open(%j) never opens a window in the app; in the browser: %s', (url, external) => {
    expect(windowOpenDecision(url)).toEqual({ action: 'deny', openExternally: external });
  });
});

describe('app:// protocol', () => {
  const root = join('/srv', 'studio', 'renderer');

  test.each([
    ['app://studio/', join(root, 'index.html')],
    ['app://studio/index.html', join(root, 'index.html')],
    ['app://studio/assets/index-abc.js', join(root, 'assets', 'index-abc.js')],
    ['app://studio/assets/a%20b.png', join(root, 'assets', 'a b.png')],
    ['app://studio/../../etc/passwd', join(root, 'etc', 'passwd')], // the URL parser resolves the dots inside the app
    ['app://studio/..%2F..%2Fetc%2Fpasswd', undefined],
    ['app://studio/..%2Frenderer-evil%2Fx.js', undefined],
    ['app://studio/%E0%A4%A', undefined],
    ['app://other/index.html', undefined],
    ['http://studio/index.html', undefined],
    ['file:///srv/studio/renderer/index.html', undefined],
  ])('%s → %s', (url, file) => {
    expect(rendererFileFor(root, url)).toBe(file);
  });

  test('every response carries the studio’s CSP and nosniff, whatever the file said', () => {
    const headers = withAppSecurityHeaders(
      new Headers({ 'content-type': 'text/html', 'content-security-policy': "default-src *; script-src 'unsafe-inline'" }),
    );
    expect(headers.get('content-type')).toBe('text/html');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    const csp = headers.get('content-security-policy') ?? '';
    expect(csp).toBe(contentSecurityPolicy());
    const directives = new Map(
      csp.split(';').map((part) => {
        const [name = '', ...values] = part.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    for (const name of ['object-src', 'base-uri', 'form-action', 'frame-ancestors']) expect(directives.get(name), name).toEqual(["'none'"]);
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
  });
});

describe('single instance', () => {
  function window(minimized: boolean) {
    const calls: string[] = [];
    return { calls, isMinimized: () => minimized, restore: () => calls.push('restore'), focus: () => calls.push('focus') };
  }

  test('a second launch brings the first window back: restored if minimised, then focused', () => {
    const minimised = window(true);
    focusFirstInstance(minimised);
    expect(minimised.calls).toEqual(['restore', 'focus']);
    const open = window(false);
    focusFirstInstance(open);
    expect(open.calls).toEqual(['focus']);
    // Before the first window exists there is nothing to focus.
    expect(() => focusFirstInstance(undefined)).not.toThrow();
  });
});
