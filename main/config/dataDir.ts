import { homedir } from 'node:os';
import { join } from 'node:path';
import { APP_ID } from '../appInfo';

/**
 * The platform's per-user data directory, the same one Electron's `app.getPath('userData')` gives for
 * this app, so the desktop app, web mode and the CLI share one store by default.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_ID);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_ID);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_ID);
}
