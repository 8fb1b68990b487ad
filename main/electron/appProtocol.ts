import { pathToFileURL } from 'node:url';
import { net, protocol } from 'electron';
import { APP_ORIGIN, rendererFileFor, withAppSecurityHeaders } from '../shell/shellPolicy';

/** The renderer is served from `app://studio/`, never `file://`, so it has a real origin and a CSP header. */
export const APP_SCHEME = 'app';
export { APP_ORIGIN };

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = rendererFileFor(rendererDir, request.url);
    if (file === undefined) return new Response('not found', { status: 404 });
    const response = await net.fetch(pathToFileURL(file).toString());
    return new Response(response.body, { status: response.status, headers: withAppSecurityHeaders(response.headers) });
  });
}
