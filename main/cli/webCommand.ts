import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../../shared/api/errors';
import { startCore } from '../core/core';
import { createStderrLogger } from '../core/logger';
import { closeOnSignals } from '../core/shutdown';
import { isLoopback } from '../web/security';
import { startWebServer } from '../web/webServer';
import { UsageError, type Command } from './command';

/** Where `electron-vite build` puts the renderer, relative to the bundled CLI in `out/main`. */
export function builtRendererDir(): string {
  return join(__dirname, '..', 'renderer');
}

export const webCommand: Command = {
  name: 'web',
  summary: 'Serve the studio UI to a browser (the core, the built renderer and the StudioApi WebSocket).',
  usage: '[--port N] [--host ADDR] [--data-dir DIR] [--rig FILE]',
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'renderer-dir': { type: 'string' },
  },
  optionHelp: {
    port: 'TCP port (default 0: any free port)',
    host: 'address to listen on (default 127.0.0.1; anything else exposes the studio to your network)',
    'renderer-dir': 'serve this built renderer instead of out/renderer',
  },
  async run({ io, global, values }) {
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be an integer from 0 to 65535, not "${String(values.port)}"`);
    const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
    const rendererDir = typeof values['renderer-dir'] === 'string' ? values['renderer-dir'] : builtRendererDir();
    if (!existsSync(join(rendererDir, 'index.html'))) {
      throw new StudioError({
        code: 'failed_precondition',
        message: `no built renderer in ${rendererDir}`,
        fix: 'Run `npm run build` (or `npm run web`, which builds when needed).',
      });
    }

    const log = createStderrLogger('web');
    const core = startCore({ dataDir: global.dataDir, rigPath: global.rigPath, mode: 'web', log, startRig: true });
    let server;
    try {
      server = await startWebServer({ core, rendererDir, host, port });
    } catch (error) {
      await core.close();
      const code = (error as { code?: string }).code;
      if (code === 'EADDRINUSE')
        throw new StudioError({
          code: 'failed_precondition',
          message: `port ${port} on ${host} is already in use`,
          fix: 'Pass another --port, or --port 0 for any free port.',
        });
      throw error;
    }
    if (!isLoopback(host)) {
      io.err(
        `\n!!! WARNING: web mode is listening on ${host}:${server.port}, reachable from other machines.\n` +
          '!!! Anyone with the URL below can drive the robot. Use this only on a network you trust.\n\n',
      );
    }
    io.out(`Foresight Studio (web mode) is running at ${server.url}\n`);
    io.err('Press Ctrl+C to stop.\n');
    await closeOnSignals(async () => {
      await server.close();
      await core.close();
    }, log);
    return 0;
  },
};
