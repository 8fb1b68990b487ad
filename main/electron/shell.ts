import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BrowserWindow, app, dialog, ipcMain, screen, session, shell } from 'electron';
import { StudioError } from '../../shared/api/errors';
import { defaultDataDir } from '../config/dataDir';
import { startCore, type Core } from '../core/core';
import { createStderrLogger } from '../core/logger';
import { focusFirstInstance, navigationAllowed, windowOpenDecision } from '../shell/shellPolicy';
import { secureWebPreferences } from '../shell/webPreferences';
import { DEFAULT_WINDOW, restoreWindowState, type WindowState } from '../shell/windowBounds';
import { APP_ORIGIN, registerAppScheme, serveRenderer } from './appProtocol';
import { originOf, registerIpcRouter, trustedSenderCheck } from './ipcRouter';

/**
 * The Electron shell: windows, the app:// protocol and the IPC router around a core. It is the only
 * code that imports `electron`; everything the studio does lives in the core.
 */
export function runElectronShell(): void {
  const log = createStderrLogger('shell');
  const { values } = parseArgs({
    args: process.argv.slice(app.isPackaged ? 1 : 2),
    options: { 'data-dir': { type: 'string' }, rig: { type: 'string' } },
    strict: false,
  });
  const dataDir = typeof values['data-dir'] === 'string' ? values['data-dir'] : defaultDataDir();
  const rigPath = typeof values.rig === 'string' ? values.rig : undefined;
  // One store for the desktop app, web mode and the CLI.
  app.setPath('userData', dataDir);

  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  registerAppScheme();

  // In `electron-vite dev` the renderer comes from Vite's dev server instead of app://.
  const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
  const trustedOrigins = [APP_ORIGIN, ...(devUrl !== undefined ? [originOf(devUrl)] : [])];
  let mainWindow: BrowserWindow | undefined;
  let core: Core | undefined;
  let quitting = false;

  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!navigationAllowed(trustedOrigins, url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      // Links to documentation open in the user's browser, never inside the app.
      const decision = windowOpenDecision(url);
      if (decision.openExternally) void shell.openExternal(url);
      return { action: decision.action };
    });
  });

  app.on('second-instance', () => focusFirstInstance(mainWindow));

  app.on('window-all-closed', () => app.quit());

  app.on('before-quit', (event) => {
    if (quitting || core === undefined) return;
    event.preventDefault();
    quitting = true;
    void core.close().finally(() => app.quit());
  });

  void app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    try {
      core = startCore({ dataDir, rigPath, mode: 'electron', log: createStderrLogger('core'), startRig: true });
    } catch (error) {
      const message = error instanceof StudioError ? `${error.message}${error.fix ? `\n\nFix: ${error.fix}` : ''}` : String(error);
      dialog.showErrorBox('Foresight Studio cannot start', message);
      app.exit(1);
      return;
    }
    serveRenderer(join(__dirname, '..', 'renderer'));
    registerIpcRouter(ipcMain, core, trustedSenderCheck(trustedOrigins));
    mainWindow = createMainWindow(dataDir, devUrl);
    log.info(`window open; data dir ${dataDir}`);
  });
}

function createMainWindow(dataDir: string, devUrl: string | undefined): BrowserWindow {
  const stateFile = join(dataDir, 'window-state.json');
  let saved: WindowState | undefined;
  try {
    saved = restoreWindowState(
      JSON.parse(readFileSync(stateFile, 'utf8')),
      screen.getAllDisplays().map((d) => d.workArea),
    );
  } catch {
    saved = undefined;
  }

  const window = new BrowserWindow({
    ...(saved ?? DEFAULT_WINDOW),
    minWidth: 960,
    minHeight: 600,
    show: false,
    backgroundColor: '#0f1115',
    title: 'Foresight Studio',
    webPreferences: secureWebPreferences(join(__dirname, '..', 'preload', 'index.cjs')),
  });
  if (saved?.maximized === true) window.maximize();
  window.once('ready-to-show', () => window.show());
  window.on('close', () => {
    const state: WindowState = { ...window.getNormalBounds(), maximized: window.isMaximized() };
    try {
      writeFileSync(stateFile, JSON.stringify(state));
    } catch {
      // Losing the window position is not worth an error dialog on quit.
    }
  });
  void window.loadURL(devUrl ?? `${APP_ORIGIN}/index.html`);
  return window;
}
