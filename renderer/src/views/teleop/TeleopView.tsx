import { useCallback, useEffect, useRef, useState } from 'react';
import type uPlot from 'uplot';
import type { RobotState } from '../../../../shared/api/contract';
import type { RigConfig } from '../../../../shared/rig/rigConfig';
import { useAction } from '../../app/actions';
import { useStudio } from '../../app/studioContext';
import { useRecordingStatus, useRigStatus } from '../../live/useLiveStatus';
import { formatGripperWidth, GRIPPER_PLOT_UNIT, gripperWidthMm } from '../../live/gripperWidth';
import { gamepadStateText, useGamepadPresence } from '../../live/gamepadPresence';
import { useGamepadTeleop } from '../../live/useGamepadTeleop';
import { useTeleopKeys } from '../../live/useTeleopKeys';
import { RingColumns } from '../../plots/ringBuffer';
import { TimeSeriesPlot } from '../../plots/TimeSeriesPlot';
import { RobotModelPicker } from '../../scene/RobotModelPicker';
import { ScenePanel } from '../../scene/ScenePanel';
import type { ForesightOverlay } from '../../scene/extensions/foresightOverlay';
import type { SceneRenderer } from '../../scene/SceneRenderer';
import { CandidateGrid } from './imagination/CandidateGrid';
import { ImaginationPanel } from './imagination/ImaginationPanel';
import { PolicyPanel } from './imagination/PolicyPanel';
import { useImagination } from './imagination/useImagination';
import { LiveCameras } from './LiveCameras';
import { RecordingPanel } from './RecordingPanel';

const PLOT_WINDOW_S = 10;
/** "No teleop input" is the resting state between key presses, not a clip worth a warning. */
const STALE_INPUT = /teleop input .* old/;
const PLOT_CAPACITY = 30 * 12;
const PLOT_REFRESH_MS = 200;
const PLOT_HEIGHT_PX = 100;
/**
 * Teleop input older than this is the operator resting, not a stall: a stall while driving shows as
 * a few hundred ms of staleness (amber); minutes without input are simply idle and say so, quietly.
 */
const IDLE_INPUT_MS = 1000;

function TeleopAge({ age_ms, timeout_ms }: { age_ms: number | null; timeout_ms: number }) {
  if (age_ms === null) return <dd data-testid="teleop-age">—</dd>;
  if (age_ms >= IDLE_INPUT_MS) {
    return (
      <dd className="muted" data-testid="teleop-age" data-state="idle" title="No teleop input: the arm holds still until you drive it">
        idle · no input for {age_ms >= 10_000 ? `${(age_ms / 1000).toFixed(0)} s` : `${(age_ms / 1000).toFixed(1)} s`}
      </dd>
    );
  }
  const stale = age_ms > timeout_ms;
  return (
    <dd
      className={stale ? 'warn' : ''}
      data-testid="teleop-age"
      data-state={stale ? 'stale' : 'fresh'}
      title={stale ? `Older than the rig's ${timeout_ms} ms teleop timeout: the arm holds until input arrives` : undefined}
    >
      {age_ms.toFixed(0)} ms
    </dd>
  );
}

interface Indicators {
  estopped: boolean;
  clip_reasons: readonly string[];
  teleop_age_ms: number | null;
  state_hz: number;
  longTasks: number;
  ee_position_m: readonly number[] | null;
  gripper_width_m: number | null;
  /** Imagined splats the main scene's overlay drew in its last frame. */
  foresight_splats: number;
}

function useLongTaskCount(): () => number {
  const count = useRef(0);
  useEffect(() => {
    if (!PerformanceObserver.supportedEntryTypes.includes('longtask')) return;
    const observer = new PerformanceObserver((list) => (count.current += list.getEntries().length));
    observer.observe({ type: 'longtask' });
    return () => observer.disconnect();
  }, []);
  return useCallback(() => count.current, []);
}

/** Teleop / Record: the live 3D scene, cameras, plots, device health and recording (the e-stop is in the app shell). */
export function TeleopView({ rig }: { rig: RigConfig | null }) {
  const studio = useStudio();
  const rigStatus = useRigStatus();
  const recording = useRecordingStatus();
  const [actionError, setActionError] = useState<string | null>(null);
  const [indicators, setIndicators] = useState<Indicators>({
    estopped: false,
    clip_reasons: [],
    teleop_age_ms: null,
    state_hz: 0,
    longTasks: 0,
    ee_position_m: null,
    gripper_width_m: null,
    foresight_splats: 0,
  });
  const [plots, setPlots] = useState<{ joints: uPlot.AlignedData; ee: uPlot.AlignedData; gripper: uPlot.AlignedData }>({
    joints: [[]],
    ee: [[]],
    gripper: [[]],
  });
  const sceneRef = useRef<SceneRenderer | null>(null);
  const [scene, setScene] = useState<SceneRenderer | null>(null);
  const longTasks = useLongTaskCount();
  useTeleopKeys(true, setActionError);
  const gamepad = useGamepadTeleop(true, setActionError);
  const gamepadPresence = useGamepadPresence();
  const imagination = useImagination(scene);

  const onSceneReady = useCallback((renderer: SceneRenderer | null) => {
    sceneRef.current = renderer;
    setScene(renderer);
  }, []);
  // The rig config usually arrives after the canvas exists (first load, reload): the scene gets it
  // whenever either changes, not only when the canvas is created.
  useEffect(() => {
    scene?.setState({ workspace: rig?.safety ?? null, cameras: rig?.cameras ?? [] });
  }, [scene, rig]);

  useEffect(() => {
    const joints = new RingColumns(7, PLOT_CAPACITY);
    const ee = new RingColumns(3, PLOT_CAPACITY);
    const gripper = new RingColumns(1, PLOT_CAPACITY);
    let t0: bigint | null = null;
    let last: RobotState | null = null;
    let received = 0;
    const off = studio.on('robot.state', (state) => {
      last = state;
      received++;
      const t_ns = BigInt(state.t_ns);
      t0 ??= t_ns;
      const t = Number(t_ns - t0) / 1e9;
      joints.push(t, state.q_rad);
      ee.push(t, state.ee_position_m);
      gripper.push(t, [state.gripper_width_m === null ? Number.NaN : gripperWidthMm(state.gripper_width_m)]);
      // The scene renders on its own schedule; patching it per message is cheap.
      sceneRef.current?.setState({
        q_rad: state.q_rad,
        gripper_width_m: state.gripper_width_m,
        ee_position_m: state.ee_position_m,
        ee_quaternion_wxyz: state.ee_quaternion_wxyz,
        commanded_translation_m: state.commanded_translation_m,
        // Resting input is not a clip: the box turns amber only for limits that acted.
        clipped: state.clip_reasons.some((reason) => !STALE_INPUT.test(reason)),
        objects: state.objects,
        target: state.target,
      });
    });
    let lastTick = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      const hz = (received * 1000) / (now - lastTick);
      lastTick = now;
      received = 0;
      const snapshot = last as RobotState | null;
      setIndicators({
        estopped: snapshot?.estopped ?? false,
        clip_reasons: snapshot?.clip_reasons ?? [],
        teleop_age_ms: snapshot?.teleop_age_ms ?? null,
        state_hz: hz,
        longTasks: longTasks(),
        ee_position_m: snapshot?.ee_position_m ?? null,
        gripper_width_m: snapshot?.gripper_width_m ?? null,
        foresight_splats: sceneRef.current?.extension<ForesightOverlay>('foresight')?.drawnSplats ?? 0,
      });
      if (joints.length > 0) setPlots({ joints: joints.columns(), ee: ee.columns(), gripper: gripper.columns() });
    }, PLOT_REFRESH_MS);
    return () => {
      off();
      clearInterval(timer);
    };
  }, [studio, longTasks]);

  const newScene = useCallback(() => {
    studio.api.sim.reset({}).then(
      () => setActionError(null),
      (error: Error) => setActionError(`New scene failed: ${error.message}`),
    );
  }, [studio]);
  useAction('sim.reset', newScene);

  const status = rigStatus.state === 'ready' ? rigStatus.value : null;
  const estopped = indicators.estopped || (status?.control.estopped ?? false);
  // A UI-fed gamepad without a pad is not a problem (the keyboard drives) but not "connected" either.
  const padless = gamepadPresence.state !== 'standard';
  const isPad = (d: { type: string }) => d.type === 'gamepad';
  const deviceProblems = status?.devices.filter((d) => d.error !== undefined || (!d.connected && !isPad(d))) ?? [];
  const shownConnected = status?.devices.filter((d) => !(padless && isPad(d) && d.error === undefined)) ?? [];
  const absentPads = (status?.devices.length ?? 0) - shownConnected.length;
  const stale = indicators.state_hz < 5;
  return (
    <div className="teleop-view">
      <div className="teleop-main">
        <div className="teleop-scene">
          <ScenePanel onReady={onSceneReady} label="Live 3D view" testId="live-scene" />
          <div className="scene-overlay" aria-live="polite">
            {rigStatus.state === 'ready' && status?.state !== 'running' && <span className="pill pill-warn">rig {status?.state}</span>}
            {indicators.clip_reasons.some((r) => !STALE_INPUT.test(r)) && (
              <span className="pill pill-warn" data-testid="clip-reasons">
                clipped: {indicators.clip_reasons.filter((r) => !STALE_INPUT.test(r)).join(', ')}
              </span>
            )}
            {estopped && <span className="pill pill-bad">E-STOP</span>}
            {indicators.foresight_splats > 0 && (
              <span
                className="pill"
                data-testid="scene-foresight"
                data-splats={indicators.foresight_splats}
                title="The selected candidate's imagined Gaussians, animated over the horizon; lines: every candidate's commanded end-effector path"
              >
                imagined: #{imagination.selected + 1} · {indicators.foresight_splats.toLocaleString()} splats
              </span>
            )}
            {gamepad !== null && (
              <span className="pill" title={gamepad} data-testid="gamepad-pill">
                gamepad connected
              </span>
            )}
          </div>
          <div className="scene-tools">
            <RobotModelPicker renderer={scene} />
          </div>
          <div className="teleop-hint muted">
            Click here, then drive: <b>W/S A/D R/F</b> move · <b>Q/E I/K J/L</b> rotate · <b>Space</b> gripper · <b>Shift</b> slow ·{' '}
            <b>?</b> all keys
          </div>
        </div>
        <CandidateGrid imagination={imagination} />
        <LiveCameras cameras={rig?.cameras ?? []} />
        {/* Side by side under the cameras: all three in view with the scene, none below the fold. */}
        <div className="live-plots">
          <TimeSeriesPlot
            title="Joints"
            unit="rad"
            names={['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7']}
            data={plots.joints}
            window_s={PLOT_WINDOW_S}
            height_px={PLOT_HEIGHT_PX}
            testId="live-plot-joints"
          />
          <TimeSeriesPlot
            title="End effector"
            unit="m"
            names={['x', 'y', 'z']}
            data={plots.ee}
            window_s={PLOT_WINDOW_S}
            height_px={PLOT_HEIGHT_PX}
            testId="live-plot-ee"
          />
          <TimeSeriesPlot
            title="Gripper"
            unit={GRIPPER_PLOT_UNIT}
            names={['width']}
            data={plots.gripper}
            window_s={PLOT_WINDOW_S}
            height_px={PLOT_HEIGHT_PX}
            testId="live-plot-gripper"
          />
        </div>
      </div>
      <aside className="teleop-side">
        {actionError !== null && (
          <div className="inline-error" role="alert">
            {actionError}
          </div>
        )}
        <RecordingPanel
          status={recording}
          defaultTask={rig?.recording.task ?? ''}
          estopped={estopped}
          enabled
          simulated={status?.simulated ?? false}
          onNewScene={newScene}
          onError={setActionError}
        />
        <ImaginationPanel imagination={imagination} estopped={estopped} />
        <PolicyPanel imagination={imagination} estopped={estopped} />
        <section className="panel health" aria-labelledby="health-title">
          <h2 id="health-title">Rig health</h2>
          {rigStatus.state === 'unavailable' && (
            <p className="muted">
              The live rig is not running in this core ({rigStatus.message}).{' '}
              {rigStatus.fix ?? 'Restart the studio; the rig starts with it.'}
            </p>
          )}
          {status?.error !== undefined && (
            <div className="inline-error" role="alert">
              {status.error.message}
              {status.error.fix !== undefined && <div className="fix">{status.error.fix}</div>}
            </div>
          )}
          <dl className="stats">
            <dt>End effector</dt>
            <dd
              className="mono"
              data-testid="ee-position"
              data-x={indicators.ee_position_m?.[0]}
              data-y={indicators.ee_position_m?.[1]}
              data-z={indicators.ee_position_m?.[2]}
            >
              {indicators.ee_position_m === null ? '—' : `${indicators.ee_position_m.map((v) => v.toFixed(3)).join(', ')} m`}
            </dd>
            <dt>Gripper</dt>
            <dd className="mono" data-testid="gripper-width" data-width-m={indicators.gripper_width_m ?? undefined}>
              {formatGripperWidth(indicators.gripper_width_m)}
            </dd>
            <dt>Robot state</dt>
            <dd className={stale ? 'warn' : ''} data-testid="state-rate">
              {indicators.state_hz.toFixed(0)} Hz
            </dd>
            <dt>Control loop</dt>
            <dd className={(status?.control.overruns ?? 0) > 0 ? 'warn' : ''}>
              {status === null
                ? '—'
                : `${status.control.rate_hz} Hz · p99 jitter ${status.control.jitter_ms_p99.toFixed(2)} ms · ${status.control.overruns} overruns`}
            </dd>
            <dt>Teleop input age</dt>
            <TeleopAge age_ms={indicators.teleop_age_ms} timeout_ms={rig?.safety.teleop_timeout_ms ?? 100} />
            <dt>UI long tasks</dt>
            <dd className={indicators.longTasks > 0 ? 'warn' : ''} data-testid="long-tasks">
              {indicators.longTasks}
            </dd>
          </dl>
          {deviceProblems.map((d) => (
            <div key={d.name} className="inline-error" role="alert">
              <b>{d.name}</b> ({d.type}): {d.error?.message ?? 'not connected'}
              {d.error?.fix !== undefined && <div className="fix">Fix: {d.error.fix}</div>}
            </div>
          ))}
          {status !== null && deviceProblems.length === 0 && (
            <p className="ok" data-testid="devices-connected">
              {absentPads === 0 ? `All ${status.devices.length} devices connected.` : `${shownConnected.length} devices connected.`}
            </p>
          )}
          {status !== null && absentPads > 0 && (
            <p className={gamepadStateText(gamepadPresence).tone} data-testid="gamepad-state">
              Gamepad: {gamepadStateText(gamepadPresence).text}
            </p>
          )}
        </section>
      </aside>
    </div>
  );
}
