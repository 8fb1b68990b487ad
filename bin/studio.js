#!/usr/bin/env node
'use strict';
// The `studio` command: runs the bundled CLI from `npm run build`.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write(`studio: not built yet. Run \`npm run build\` in ${join(__dirname, '..')} first.\n`);
  process.exit(1);
}
require(cli);
