'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload (node --require) has no other way to load modules */
// Runs the studio's TypeScript outside Vite (benches, and worker threads started from source by vitest or
// tsx): registers tsx's CommonJS hook, then serves Vite's
// `?raw` imports (a file's text as the default export), which tsx alone would try to run as JavaScript.
//   node --require ./main/workers/sourceLoader.cjs bench/devices/deoxysRoundTrip.ts
// It must wrap tsx's resolver, so it registers tsx itself (do not add `--import tsx`).
require('tsx/cjs');
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { dirname, resolve } = require('node:path');

const SUFFIX = '?raw';
const originalResolve = Module._resolveFilename;

Module._resolveFilename = function resolveRaw(request, parent, ...rest) {
  if (typeof request !== 'string' || !request.endsWith(SUFFIX)) return originalResolve.call(this, request, parent, ...rest);
  const file = resolve(parent && parent.filename ? dirname(parent.filename) : process.cwd(), request.slice(0, -SUFFIX.length));
  const id = `${file}${SUFFIX}`;
  if (Module._cache[id] === undefined) {
    const module = new Module(id, parent);
    module.filename = id;
    module.loaded = true;
    module.exports = { __esModule: true, default: readFileSync(file, 'utf8') };
    Module._cache[id] = module;
  }
  return id;
};
