import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Core } from '../core/core';
import { attachWsConnection } from './wsConnection';
import { TOKEN_COOKIE, allowedHosts, contentSecurityPolicy, newToken, originAllowed, presentedToken, tokensEqual } from './security';

export const WS_PATH = '/api/ws';

export interface WebServerOptions {
  core: Core;
  /** Directory holding the built renderer (`out/renderer`). */
  rendererDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Tests pass a fixed token; users get a fresh random one per launch. */
  token?: string;
}

export interface WebServer {
  /** Open this in a browser: it carries the token. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};

function securityHeaders(response: ServerResponse): void {
  response.setHeader('Content-Security-Policy', contentSecurityPolicy());
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function refuse(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(`${message}\n`);
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Web mode: serves the built renderer and the StudioApi WebSocket on one port. Every request needs the
 * per-launch token (in `?token=` once, then in an HttpOnly SameSite=Strict cookie); WebSocket upgrades
 * from a foreign Origin and requests with a foreign Host are refused.
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  const rendererDir = normalize(options.rendererDir);
  let hosts: Set<string> | 'any' = 'any';

  const hostAllowed = (request: IncomingMessage) => hosts === 'any' || hosts.has(request.headers.host ?? '');

  const serveFile = (request: IncomingMessage, response: ServerResponse, pathname: string) => {
    const relative = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
    const file = normalize(join(rendererDir, relative));
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) return refuse(response, 404, 'not found');
    let size: number;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) return refuse(response, 404, 'not found');
      size = stat.size;
    } catch {
      return refuse(response, 404, 'not found');
    }
    response.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Length': size,
      'Cache-Control': relative === 'index.html' ? 'no-store' : 'private, max-age=3600',
    });
    if (request.method === 'HEAD') return response.end();
    createReadStream(file).pipe(response);
  };

  const server = createServer((request, response) => {
    securityHeaders(response);
    if (!hostAllowed(request)) return refuse(response, 421, 'unexpected Host header: open the URL printed by `studio web`');
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'method not allowed');
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (!tokensEqual(token, presentedToken(request, url))) {
      return refuse(response, 401, 'Foresight Studio web mode needs its access token: open the full URL that `studio web` printed.');
    }
    if (url.searchParams.has('token')) {
      // Trade the token in the URL for a cookie, and drop it from the address bar and history.
      response.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
      url.searchParams.delete('token');
      response.writeHead(303, { Location: `${url.pathname}${url.search}`, 'Cache-Control': 'no-store' });
      return response.end();
    }
    serveFile(request, response, url.pathname);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) return refuseUpgrade(socket, 404, 'Not Found');
    if (!hostAllowed(request)) return refuseUpgrade(socket, 421, 'Misdirected Request');
    if (!originAllowed(request)) return refuseUpgrade(socket, 403, 'Forbidden');
    if (!tokensEqual(token, presentedToken(request, url))) return refuseUpgrade(socket, 401, 'Unauthorized');
    wss.handleUpgrade(request, socket, head, (ws) => attachWsConnection(ws, options.core));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(host, port);
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    port,
    host,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.close(1001, 'studio is shutting down');
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
