/**
 * Studio UI numbers, in headless Debian Chromium (SwiftShader, no GPU) against the built app:
 *   1. time to show the episode list with 1,000 episodes (switch to Episodes → first rows painted),
 *   2. 3D frame time, robot alone and robot + 50k points (the app's SceneRenderer, software GL),
 *   3. main-thread long tasks (> 50 ms) in the Teleop view while recording and driving the arm.
 *
 *   npm run build && npx tsx bench/ui/uiBench.ts [--episodes 1000] [--record-s 20] [--runs 5]
 *
 * Prints one JSON object. Not a test: nothing here asserts on timings.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../test/support/browser';
import { build } from 'vite';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const EPISODES = option('episodes', 1000);
const RECORD_S = option('record-s', 20);
const RUNS = option('runs', 5);
/** `--profile`: also print the page's top functions by self time while recording (CDP CPU profile). */
const PROFILE = args.includes('--profile');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** Two real expert episodes, then copies of the first (its row, its camera streams, its last frame per camera) up to `count`. */
function seed(dataDir: string, count: number): void {
  const recorded = spawnSync(
    process.execPath,
    ['bin/studio.js', 'record', '--sim', '--expert', '--episodes', '2', '--image-size', '64x48', '--data-dir', dataDir],
    { encoding: 'utf8' },
  );
  if (recorded.status !== 0) throw new Error(`seeding failed: ${recorded.stderr}`);
  const db = new Database(join(dataDir, 'studio.db'));
  const source = db.prepare('SELECT * FROM episodes WHERE id = 1').get() as Record<string, unknown>;
  const streams = db.prepare("SELECT * FROM streams WHERE episode_id = 1 AND name LIKE 'camera.%.color'").all() as Record<
    string,
    unknown
  >[];
  const insertEpisode = db.prepare(
    'INSERT INTO episodes (session_id, task, status, outcome, started_at_unix_ms, start_ns, end_ns, target_fps_hz, max_duration_s, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertStream = db.prepare(
    'INSERT INTO streams (episode_id, name, kind, dtype, shape_json, names_json, unit, encoding, nominal_rate_hz, meta_json, sample_count, first_t_ns, last_t_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const lastFrame = db.prepare('SELECT t_ns, data FROM frames WHERE stream_id = ? ORDER BY t_ns DESC LIMIT 1').safeIntegers(true);
  const insertFrame = db.prepare('INSERT INTO frames (stream_id, t_ns, data) VALUES (?, ?, ?)');
  const insertTag = db.prepare('INSERT INTO episode_tags (episode_id, tag) VALUES (?, ?)');
  const outcomes = ['success', 'failure', 'unknown'];
  const tasks = [
    'Pick up the cube and place it in the target region.',
    'Stack the red cube on the blue one.',
    'Push the cube to the left edge.',
  ];
  const frames = streams.map((s) => lastFrame.get(s.id) as { t_ns: bigint; data: Buffer });
  db.transaction(() => {
    for (let i = 2; i < count; i++) {
      const { lastInsertRowid } = insertEpisode.run(
        source.session_id,
        tasks[i % 3],
        'saved',
        outcomes[i % 3],
        Number(source.started_at_unix_ms) - i * 60_000,
        source.start_ns,
        source.end_ns,
        source.target_fps_hz,
        source.max_duration_s,
        '',
      );
      streams.forEach((s, k) => {
        const stream = insertStream.run(
          lastInsertRowid,
          s.name,
          s.kind,
          s.dtype,
          s.shape_json,
          s.names_json,
          s.unit,
          s.encoding,
          s.nominal_rate_hz,
          s.meta_json,
          1,
          frames[k]!.t_ns,
          frames[k]!.t_ns,
        );
        insertFrame.run(stream.lastInsertRowid, frames[k]!.t_ns, frames[k]!.data);
      });
      if (i % 7 === 0) insertTag.run(lastInsertRowid, 'slip');
    }
  })();
  db.close();
}

function startWeb(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['bin/studio.js', 'web', '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((done, fail) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /running at (http:\/\/\S+)/.exec(out);
      if (match?.[1] !== undefined) done({ url: match[1], child });
    });
    child.once('exit', (code) => fail(new Error(`studio web exited (${code})`)));
  });
}

/** Teleop → Episodes until the first rows are painted, measured in the page's clock; `runs` times. */
async function listTimes(page: Page): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await page.keyboard.press('Digit1');
    await page.getByTestId('live-scene').waitFor();
    // No named functions inside page code: tsx (esbuild keepNames) would wrap them in a helper the page lacks.
    const ms = await page.evaluate(async () => {
      const g = globalThis as unknown as {
        performance: { now(): number };
        requestAnimationFrame(cb: () => void): void;
        document: { querySelector(s: string): unknown };
        KeyboardEvent: new (type: string, init: object) => unknown;
        window: { dispatchEvent(e: unknown): void };
      };
      const start = g.performance.now();
      g.window.dispatchEvent(new g.KeyboardEvent('keydown', { code: 'Digit2', key: '2', bubbles: true }));
      while (g.document.querySelector('[data-view="episodes"] [data-testid^="episode-row-"]') === null)
        await new Promise<void>((done) => g.requestAnimationFrame(done));
      // One more frame: the rows are in the DOM; this waits until they are painted.
      await new Promise<void>((done) => g.requestAnimationFrame(done));
      return g.performance.now() - start;
    });
    times.push(ms);
  }
  return times;
}

async function longTasksWhileRecording(
  page: Page,
): Promise<{ seconds: number; count: number; total_ms: number; max_ms: number; state_hz: string }> {
  await page.keyboard.press('Digit1');
  await page
    .getByTestId('recording-phase')
    .filter({ hasText: /idle|resetting/ })
    .waitFor();
  await page.getByTestId('live-scene').click();
  const before = await page.evaluate(() => (globalThis as unknown as { __longTasks: number[] }).__longTasks.length);
  await page.getByRole('button', { name: /Start (recording|now)/ }).click();
  await page
    .getByTestId('recording-phase')
    .filter({ hasText: 'recording' })
    .waitFor({ timeout: 30_000 })
    .catch(async (error: unknown) => {
      await page.screenshot({ path: '/tmp/uibench-fail.png' });
      throw error;
    });
  const cdp = PROFILE ? await page.context().newCDPSession(page) : undefined;
  await cdp?.send('Profiler.enable');
  await cdp?.send('Profiler.start');
  const keys = ['KeyW', 'KeyA', 'KeyS', 'KeyD'];
  const end = Date.now() + RECORD_S * 1000;
  for (let i = 0; Date.now() < end; i++) {
    // Driving in a square, one second per side: a realistic load of key events and arm motion.
    await page.keyboard.down(keys[i % 4]!);
    await page.waitForTimeout(1000);
    await page.keyboard.up(keys[i % 4]!);
  }
  const stateHz = (await page.getByTestId('state-rate').textContent()) ?? '';
  if (cdp !== undefined) {
    const { profile } = (await cdp.send('Profiler.stop')) as {
      profile: {
        nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
        samples: number[];
        timeDeltas: number[];
      };
    };
    const self = new Map<string, number>();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id)?.callFrame;
      const key = `${frame?.functionName || '(anonymous)'} ${frame?.url.split('/').pop() ?? ''}:${frame?.lineNumber ?? 0}`;
      self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    });
    console.error(
      [...self.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 20)
        .map(([k, ms]) => `${ms.toFixed(0).padStart(7)} ms  ${k}`)
        .join('\n'),
    );
  }
  await page.keyboard.press('Enter');
  await page.getByTestId('recording-phase').filter({ hasText: 'stopped' }).waitFor();
  await page.keyboard.press('Backspace');
  const tasks = await page.evaluate((from) => (globalThis as unknown as { __longTasks: number[] }).__longTasks.slice(from), before);
  return {
    seconds: RECORD_S,
    count: tasks.length,
    total_ms: Math.round(tasks.reduce((a, b) => a + b, 0)),
    max_ms: Math.round(Math.max(0, ...tasks)),
    state_hz: stateHz,
  };
}

function serve(dir: string): Promise<{ server: Server; url: string }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer((request, response) => {
    const path = join(dir, new URL(request.url ?? '/', 'http://x').pathname.replace(/\/$/, '/index.html'));
    if (!path.startsWith(dir) || !existsSync(path) || !statSync(path).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
    createReadStream(path).pipe(response);
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => done({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })),
  );
}

async function sceneFrameTimes(): Promise<unknown> {
  const outDir = mkdtempSync(join(tmpdir(), 'ui-bench-scene-'));
  await build({
    configFile: false,
    root: resolve('bench/ui/scenePage'),
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, modulePreload: { polyfill: false } },
  });
  const { server, url } = await serve(outDir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${url}?frames=60`);
    await page.waitForFunction(() => (globalThis as unknown as { benchResult?: unknown }).benchResult !== undefined, undefined, {
      timeout: 300_000,
    });
    return await page.evaluate(() => (globalThis as unknown as { benchResult: unknown }).benchResult);
  } finally {
    await browser.close();
    server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ui-bench-'));
  let web: ChildProcess | undefined;
  let closeBrowser: (() => Promise<void>) | undefined;
  try {
    const seedStart = performance.now();
    seed(dataDir, EPISODES);
    const seed_s = (performance.now() - seedStart) / 1000;
    const started = await startWeb(dataDir);
    web = started.child;
    const browser = await launchChromium();
    closeBrowser = () => browser.close();
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    // Collects long tasks from the first paint on (init scripts run outside the page CSP).
    await page.addInitScript(() => {
      const g = globalThis as unknown as {
        __longTasks: number[];
        PerformanceObserver: new (cb: (list: { getEntries(): { duration: number }[] }) => void) => { observe(o: object): void };
      };
      g.__longTasks = [];
      new g.PerformanceObserver((list) => list.getEntries().forEach((e) => g.__longTasks.push(e.duration))).observe({
        type: 'longtask',
        buffered: true,
      });
    });
    await page.goto(started.url);
    await page.getByTestId('connection-status').filter({ hasText: 'connected' }).waitFor();
    await page
      .getByTestId('ee-position')
      .filter({ hasText: /\d\.\d{3}/ })
      .waitFor();
    const list_ms = await listTimes(page);
    const shown = await page.getByTestId('episode-count').textContent();
    const recording = await longTasksWhileRecording(page);
    await browser.close();
    const scene = await sceneFrameTimes();
    console.log(
      JSON.stringify({
        episodes: EPISODES,
        episodes_shown: shown,
        seed_s: Math.round(seed_s * 10) / 10,
        episode_list_ms: { median: Math.round(median(list_ms)), runs: list_ms.map(Math.round) },
        long_tasks_while_recording: recording,
        scene_1280x720: scene,
      }),
    );
  } finally {
    await closeBrowser?.().catch(() => undefined);
    web?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
