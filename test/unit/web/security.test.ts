import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import type { Core } from '../../../main/core/core';
import { startWebServer, WS_PATH, type WebServer } from '../../../main/web/webServer';
import { startTestCore } from '../../support/core';
import { writeRendererDir } from '../../support/rendererDir';
import { useTempDirs } from '../../support/tempDir';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket and reports either the HTTP status that refused the upgrade, or 101 and the socket. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; socket?: WebSocket }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => resolve({ status: 101, socket }));
    socket.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    socket.once('error', () => resolve({ status: -1 }));
  });
}

function rpc(socket: WebSocket, message: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    socket.once('message', (data) => resolve(JSON.parse(data.toString()) as Record<string, unknown>));
    socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  });
}

describe('web mode security', () => {
  const tempDir = useTempDirs();
  let core: Core | undefined;
  let server: WebServer | undefined;
  const sockets: WebSocket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    await server?.close();
    await core?.close();
    server = core = undefined;
  });

  async function start(token = 'test-token-0123456789') {
    const dir = tempDir();
    core = startTestCore(join(dir, 'data'));
    server = await startWebServer({ core, rendererDir: writeRendererDir(join(dir, 'renderer')), token });
    return { server, origin: `http://127.0.0.1:${server.port}`, wsUrl: `ws://127.0.0.1:${server.port}${WS_PATH}` };
  }

  test('binds to loopback and prints a URL carrying a fresh random token', async () => {
    const dir = tempDir();
    core = startTestCore(join(dir, 'data'));
    server = await startWebServer({ core, rendererDir: writeRendererDir(join(dir, 'renderer')) });
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[A-Za-z0-9_-]{32}$`));
    const other = await startWebServer({ core, rendererDir: join(dir, 'renderer') });
    expect(other.token).not.toBe(server.token);
    await other.close();
  });

  test('HTTP without the token is refused; the token is traded for an HttpOnly cookie', async () => {
    const { server } = await start();
    expect((await get(server.port, '/')).status).toBe(401);
    expect((await get(server.port, '/assets/app.js')).status).toBe(401);
    expect((await get(server.port, '/?token=wrong-token-000000000')).status).toBe(401);

    const first = await get(server.port, `/?token=${server.token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const cookie = String(first.headers['set-cookie']?.[0]);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);

    const page = await get(server.port, '/', { cookie: cookie.split(';')[0]! });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>studio</title>');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const asset = await get(server.port, '/assets/app.js', { cookie: cookie.split(';')[0]! });
    expect(asset.headers['content-type']).toMatch(/javascript/);
  });

  test('paths outside the renderer are not served', async () => {
    const { server } = await start();
    const cookie = `studio_token=${server.token}`;
    for (const path of ['/../package.json', '/%2e%2e/%2e%2e/package.json', '/assets/../../data/studio.db']) {
      expect((await get(server.port, path, { cookie })).status).toBe(404);
    }
  });

  test('a foreign Host header is refused (DNS rebinding)', async () => {
    const { server } = await start();
    const reply = await get(server.port, `/?token=${server.token}`, { host: `evil.example:${server.port}` });
    expect(reply.status).toBe(421);
  });

  test('WebSocket without the token, or from a foreign Origin, is refused', async () => {
    const { server, wsUrl, origin } = await start();
    expect((await upgrade(wsUrl)).status).toBe(401);
    expect((await upgrade(`${wsUrl}?token=nope`)).status).toBe(401);
    expect((await upgrade(`${wsUrl}?token=${server.token}`, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await upgrade(`${wsUrl}?token=${server.token}`, { origin: 'http://localhost:1' })).status).toBe(403);

    const withCookie = await upgrade(wsUrl, { origin, cookie: `studio_token=${server.token}` });
    expect(withCookie.status).toBe(101);
    sockets.push(withCookie.socket!);
  });

  test('WebSocket payloads that fail their schema get typed errors and the core keeps running', async () => {
    const { server, wsUrl } = await start();
    const { socket } = await upgrade(`${wsUrl}?token=${server.token}`);
    sockets.push(socket!);

    const notJson = await rpc(socket!, '{not json');
    expect(notJson).toMatchObject({ id: null, error: { code: -32700, data: { code: 'parse_error' } } });

    const notRpc = await rpc(socket!, { hello: 'world' });
    expect(notRpc).toMatchObject({ error: { code: -32600, data: { code: 'invalid_request' } } });

    const badParams = await rpc(socket!, { jsonrpc: '2.0', id: 7, method: 'rig.validate', params: { text: 5, extra: true } });
    expect(badParams).toMatchObject({ id: 7, error: { code: -32602, data: { code: 'invalid_params' } } });
    const issues = (badParams.error as { data: { issues: { path: string }[] } }).data.issues.map((issue) => issue.path).sort();
    expect(issues).toEqual(['(root)', 'text']);

    const unknown = await rpc(socket!, { jsonrpc: '2.0', id: 8, method: 'arm.fly', params: {} });
    expect(unknown).toMatchObject({ id: 8, error: { code: -32601, data: { code: 'method_not_found' } } });

    const ok = await rpc(socket!, { jsonrpc: '2.0', id: 9, method: 'app.info', params: {} });
    expect(ok).toMatchObject({ id: 9, result: { mode: 'web', name: 'Foresight Studio' } });
  });
});
