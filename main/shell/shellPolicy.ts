import { join, normalize, sep } from 'node:path';
import { originOf } from '../electron/ipcRouter';
import { contentSecurityPolicy } from '../web/security';

/**
 * The Electron shell's decisions, kept free of `electron` so plain unit tests pin them down
 * (test/unit/shell/shellPolicy.test.ts); main/electron/ wires them to Electron's events.
 */

/** The renderer's origin: it is served from `app://studio/`, never `file://`. */
export const APP_ORIGIN = 'app://studio';

/** `will-navigate`: the page may only navigate within the app's own origins; anything else is blocked. */
export function navigationAllowed(trustedOrigins: readonly string[], url: string): boolean {
  return trustedOrigins.includes(originOf(url));
}

/**
 * `window.open` / `target=_blank`: no new window is ever created inside the app. Documentation links
 * (https only) open in the user's browser; every other scheme (file:, javascript:, app:, http:) is dropped.
 */
export function windowOpenDecision(url: string): { action: 'deny'; openExternally: boolean } {
  let https: boolean;
  try {
    https = new URL(url).protocol === 'https:';
  } catch {
    https = false;
  }
  return { action: 'deny', openExternally: https };
}

/**
 * The file an `app://` request is answered with, or undefined for 404: only `app://studio/...`, only
 * inside the renderer directory (no `..`, encoded or not), `/` meaning index.html.
 */
export function rendererFileFor(rendererDir: string, requestUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'app:' || url.host !== 'studio') return undefined;
  let relative: string;
  try {
    relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
  } catch {
    return undefined;
  }
  const root = normalize(rendererDir);
  const file = normalize(join(root, relative));
  return file.startsWith(root + sep) ? file : undefined;
}

/** Every `app://` response carries the studio's CSP and no MIME sniffing. */
export function withAppSecurityHeaders(headers: Headers): Headers {
  const out = new Headers(headers);
  out.set('Content-Security-Policy', contentSecurityPolicy());
  out.set('X-Content-Type-Options', 'nosniff');
  return out;
}

/** The first instance's window when a second launch is refused: brought back and focused. */
export function focusFirstInstance(window: { isMinimized(): boolean; restore(): void; focus(): void } | undefined): void {
  if (window === undefined) return;
  if (window.isMinimized()) window.restore();
  window.focus();
}
