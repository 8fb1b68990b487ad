/**
 * Simulated-rig numbers for BENCHMARKS.md: physics real-time factor at 1 kHz (arm + hand + cube), camera
 * render time per frame, and the real-time budget of two 320×240 cameras at 15 fps.
 * Run: npx tsx bench/sim/simBench.ts [--runs 5]. Prints one JSON object on stdout.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimEngine } from '../../main/sim/engine';
import { CameraRig } from '../../main/sim/cameraRig';
import { lookAt } from '../../main/sim/math3d';
import { quaternionFromRotation } from '../../shared/robot/rotation';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function physicsRtf(engine: SimEngine, seconds: number): number {
  const steps = Math.round(seconds / engine.timestep_s);
  const started = performance.now();
  engine.step(steps);
  return seconds / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const runsArg = process.argv.indexOf('--runs');
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
  const xml = readFileSync(join(__dirname, '../../main/sim/assets/franka_scene.xml'), 'utf8');
  const engine = await SimEngine.load(xml, 'franka_scene.xml');

  // physics: joint impedance + gravity compensation every step, 100 Hz IK tracking a moving target
  engine.reset(1);
  engine.advance(2); // warm-up: V8 and wasm tier up over the first few thousand steps
  const rtf: number[] = [];
  for (let r = 0; r < runs; r++) {
    engine.reset(1);
    engine.sendArm({ kind: 'ee_delta', translation_m: [0.05, 0.05, -0.05], rotation_axis_angle_rad: [0, 0, 0.3] });
    engine.sendGripper({ kind: 'grasp', width_m: 0.05, speed_m_s: 0.1, force_n: 20 });
    rtf.push(physicsRtf(engine, 3));
  }

  const rig = new CameraRig(engine);
  const front = lookAt([1.3, 0.07, 0.7], [0.47, 0.07, 0.02]);
  const sizes = [
    [128, 128],
    [320, 240],
    [640, 480],
  ] as const;
  const render: Record<string, number> = {};
  engine.reset(1);
  for (const [w, h] of sizes) {
    const f = w / 2 / Math.tan(Math.PI / 6);
    const name = `${w}x${h}`;
    rig.add({
      name,
      width_px: w,
      height_px: h,
      fps_hz: 15,
      intrinsics: { fx_px: f, fy_px: f, cx_px: w / 2, cy_px: h / 2 },
      mount: { frame: 'world', translation_m: front.position_m, rotation_wxyz: quaternionFromRotation(front.rotation) },
    });
    for (let i = 0; i < 5; i++) rig.render(name); // warm-up
    const times: number[] = [];
    for (let r = 0; r < runs * 4; r++) times.push(rig.render(name).render_ms);
    render[name] = median(times);
    rig.remove(name);
  }
  const rtfMedian = median(rtf);
  const frame320 = render['320x240'] ?? 0;
  // one second of real time: physics at 1 kHz plus 2 cameras × 15 frames
  const coreFraction = 1 / rtfMedian + (2 * 15 * frame320) / 1000;
  console.log(
    JSON.stringify({
      mujoco: '3.3.8 (mujoco-js 0.0.7)',
      runs,
      physics_hz: 1 / engine.timestep_s,
      real_time_factor_runs: rtf.map((x) => Number(x.toFixed(1))),
      real_time_factor_median: Number(rtfMedian.toFixed(1)),
      render_ms_median: Object.fromEntries(Object.entries(render).map(([k, v]) => [k, Number(v.toFixed(2))])),
      two_cameras_320x240_15fps_plus_realtime_physics_core_fraction: Number(coreFraction.toFixed(3)),
    }),
  );
  rig.dispose();
  engine.dispose();
}

void main();
