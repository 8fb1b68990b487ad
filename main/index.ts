import { runElectronShell } from './electron/shell';

// Electron entry point (package.json "main" → out/main/index.js). Web mode and the CLI start at main/cli/main.ts.
runElectronShell();
