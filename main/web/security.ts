import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'studio_token';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export function tokensEqual(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieValue(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The token from `?token=` or the cookie set when the page was first opened. */
export function presentedToken(request: IncomingMessage, url: URL): string | undefined {
  return url.searchParams.get('token') ?? cookieValue(request, TOKEN_COOKIE);
}

/**
 * Which Host headers to accept. On loopback only the loopback names are accepted, which defeats DNS
 * rebinding (a foreign page whose hostname re-resolves to 127.0.0.1 still sends its own Host).
 */
export function allowedHosts(bindHost: string, port: number): Set<string> | 'any' {
  if (!isLoopback(bindHost)) return 'any';
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * Browsers always send Origin on WebSocket upgrades; it must be this server. Non-browser clients (the
 * CLI, scripts) send none and are judged by the token alone.
 */
export function originAllowed(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const host = request.headers.host;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

export function contentSecurityPolicy(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
