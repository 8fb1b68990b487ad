import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type uPlot from 'uplot';
import type { RigConfig } from '../../../../shared/rig/rigConfig';
import { useAction } from '../../app/actions';
import { useStudio } from '../../app/studioContext';
import { putSegment, type EpisodeLabels, type SegmentValue } from '../../labels/labelModel';
import type { LabelStore } from '../../labels/labelStore';
import { formatGripperWidth, GRIPPER_PLOT_UNIT, gripperWidthMm } from '../../live/gripperWidth';
import { SourceDropList } from '../../live/SourceDrops';
import { isSimulatedTake, sourceHealth, sourceTotals } from '../../live/streamHealth';
import { TimeSeriesPlot } from '../../plots/TimeSeriesPlot';
import { ScenePanel } from '../../scene/ScenePanel';
import type { SceneRenderer } from '../../scene/SceneRenderer';
import type { SceneObject } from '../../scene/sceneTypes';
import { ErrorState } from '../../ui/states';
import { loadEpisodeData, nsAt, sampleAt, type EpisodeData, type ObjectLook, type Series } from './episodeData';
import { ForesightRuns } from './ForesightRuns';
import { ReplayCameraTile } from './ReplayCameraTile';
import { Timeline } from './Timeline';
import { SPEEDS, usePlayback } from './usePlayback';

function columns(series: Series | undefined, pick: (row: readonly number[]) => number[]): uPlot.AlignedData {
  if (series === undefined) return [[]];
  const rows = series.values.map(pick);
  const width = rows[0]?.length ?? 0;
  return [Array.from(series.t_s), ...Array.from({ length: width }, (_, k) => rows.map((row) => row[k] ?? 0))];
}

/** Recorded sim objects are poses only (n × 7); size and colour are drawn as the nominal cube. */
/** Recordings made before objects were described get the task's nominal cube. */
const NOMINAL_LOOK: ObjectLook = { name: 'object', size_m: 0.05, rgb: [0.85, 0.12, 0.1] };

function objectsAt(series: Series | undefined, looks: readonly ObjectLook[], t_s: number): SceneObject[] {
  const row = sampleAt(series, t_s);
  if (row === undefined) return [];
  const out: SceneObject[] = [];
  for (let i = 0; i + 6 < row.length; i += 7) {
    const look = looks[i / 7] ?? { ...NOMINAL_LOOK, name: `object${i / 7}` };
    out.push({
      name: look.name,
      position_m: [row[i]!, row[i + 1]!, row[i + 2]!],
      quaternion_wxyz: [row[i + 3]!, row[i + 4]!, row[i + 5]!, row[i + 6]!],
      rgb: look.rgb,
      size_m: look.size_m,
    });
  }
  return out;
}

export interface EpisodePlayerProps {
  id: number;
  rig: RigConfig | null;
  store: LabelStore;
  labels: EpisodeLabels | undefined;
  onLoaded(data: EpisodeData): void;
  /** Lets the label panel seek and see the trim marks. */
  bindControls(controls: PlayerControls | null): void;
}

export interface PlayerControls {
  seek(t_s: number): void;
  t_s(): number;
  t0_ns: bigint;
  trim: { start_s: number; end_s: number } | null;
}

export function EpisodePlayer({ id, rig, store, labels, onLoaded, bindControls }: EpisodePlayerProps) {
  const studio = useStudio();
  const [data, setData] = useState<EpisodeData | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    loadEpisodeData(studio, id).then(
      (loaded) => {
        if (!live) return;
        setData(loaded);
        setError(null);
        onLoaded(loaded);
      },
      (caught: unknown) => live && setError((caught as Error).message),
    );
    return () => {
      live = false;
    };
    // onLoaded is a stable callback from the view; reloading on its identity would loop.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [studio, id]);

  if (error !== null)
    return (
      <ErrorState
        title={`Episode ${id} could not be loaded`}
        message={error}
        fix="It may have been deleted by another window: reload the list."
      />
    );
  if (data === null || data.detail.episode.id !== id) return <div className="player-loading muted">Loading episode {id}…</div>;
  return <LoadedPlayer key={id} data={data} rig={rig} store={store} labels={labels} bindControls={bindControls} />;
}

function LoadedPlayer({
  data,
  rig,
  store,
  labels,
  bindControls,
}: {
  data: EpisodeData;
  rig: RigConfig | null;
  store: LabelStore;
  labels: EpisodeLabels | undefined;
  bindControls: EpisodePlayerProps['bindControls'];
}) {
  const id = data.detail.episode.id;
  const playback = usePlayback(data.duration_s, data.frameStep_s);
  const { t_s } = playback;
  const sceneRef = useRef<SceneRenderer | null>(null);
  const [pendingStart, setPendingStart] = useState<number | null>(null);
  const [trim, setTrim] = useState<{ start_s: number; end_s: number } | null>(null);
  const tRef = useRef(t_s);
  useEffect(() => {
    tRef.current = t_s;
  });

  useEffect(() => {
    bindControls({ seek: playback.seek, t_s: () => tRef.current, t0_ns: data.t0_ns, trim });
    return () => bindControls(null);
  }, [bindControls, playback.seek, data.t0_ns, trim]);

  const q = data.series.get('arm.q_rad');
  const ee = data.series.get('arm.ee_pose');
  const gripper = data.series.get('gripper.width_m');
  const objects = data.series.get('sim.object_poses');

  const updateScene = useCallback(
    (renderer: SceneRenderer, t: number) => {
      const pose = sampleAt(ee, t);
      renderer.setState({
        q_rad: sampleAt(q, t) ?? renderer.state.q_rad,
        gripper_width_m: sampleAt(gripper, t)?.[0] ?? null,
        ee_position_m: pose === undefined ? null : [pose[0]!, pose[1]!, pose[2]!],
        ee_quaternion_wxyz: pose === undefined ? null : [pose[3]!, pose[4]!, pose[5]!, pose[6]!],
        objects: objectsAt(objects, data.objects, t),
      });
    },
    [q, ee, gripper, objects, data.objects],
  );

  useEffect(() => {
    if (sceneRef.current !== null) updateScene(sceneRef.current, t_s);
  }, [t_s, updateScene]);

  const [scene, setScene] = useState<SceneRenderer | null>(null);
  const onSceneReady = useCallback(
    (renderer: SceneRenderer | null) => {
      sceneRef.current = renderer;
      setScene(renderer);
      if (renderer === null) return;
      renderer.setState({ commanded_translation_m: null });
      updateScene(renderer, tRef.current);
    },
    [updateScene],
  );
  // As in Teleop: the rig config may arrive after the canvas (an episode opened straight after a reload).
  useEffect(() => {
    scene?.setState({ workspace: rig?.safety ?? null, cameras: rig?.cameras ?? [] });
  }, [scene, rig]);

  const jointData = useMemo(() => columns(q, (row) => [...row]), [q]);
  const eeData = useMemo(() => columns(ee, (row) => row.slice(0, 3) as number[]), [ee]);
  const gripperData = useMemo(() => columns(gripper, (row) => [gripperWidthMm(row[0] ?? Number.NaN)]), [gripper]);
  const gripperNow_m = gripper === undefined ? null : (sampleAt(gripper, t_s)?.[0] ?? null);

  const markSegment = () => {
    if (labels === undefined) return;
    if (pendingStart === null) {
      setPendingStart(t_s);
      return;
    }
    const [a, b] = pendingStart <= t_s ? [pendingStart, t_s] : [t_s, pendingStart];
    setPendingStart(null);
    if (b - a < 1e-3) return;
    const count = Object.keys(labels.segments ?? {}).length;
    store.apply(
      putSegment(
        labels,
        id,
        store.newSegmentKey(),
        { label: `segment ${count + 1}`, start_ns: nsAt(data.t0_ns, a), end_ns: nsAt(data.t0_ns, b) },
        'add segment',
      ),
    );
  };
  const addSegment = () => {
    if (labels === undefined) return;
    const a = Math.min(t_s, Math.max(0, data.duration_s - 0.5));
    const b = Math.min(data.duration_s, a + Math.max(0.5, data.duration_s / 5));
    const count = Object.keys(labels.segments ?? {}).length;
    store.apply(
      putSegment(
        labels,
        id,
        store.newSegmentKey(),
        { label: `segment ${count + 1}`, start_ns: nsAt(data.t0_ns, a), end_ns: nsAt(data.t0_ns, b) },
        'add segment',
      ),
    );
  };

  useAction('play.toggle', playback.toggle);
  useAction('play.back', () => playback.step(-1));
  useAction('play.forward', () => playback.step(1));
  useAction('play.start', () => playback.seek(0));
  useAction('play.end', () => playback.seek(data.duration_s));
  useAction('play.slower', () => playback.changeSpeed(-1));
  useAction('play.faster', () => playback.changeSpeed(1));
  useAction('label.segment', markSegment);

  const episode = data.detail.episode;
  // Per source with the likely cause, as the Record panel showed it live (a camera's streams count once).
  const streamCounts = Object.fromEntries(
    data.detail.streams.map((s) => [s.name, { samples: s.sample_count, dropped: s.dropped, late: s.late, nominal_hz: s.nominal_rate_hz }]),
  );
  const sources = sourceHealth(streamCounts, data.duration_s, isSimulatedTake(Object.keys(streamCounts))).filter(
    (source) => source.cause !== null,
  );
  const { dropped } = sourceTotals(sources);
  return (
    <div className="player" data-testid="episode-player">
      <div className="player-head">
        <h2>
          Episode {episode.id} <span className="muted">· {labels?.task ?? episode.task}</span>
        </h2>
        <span className="muted">
          {data.duration_s.toFixed(2)} s · {episode.frames} frames
        </span>
      </div>
      {sources.length > 0 && (
        <details className="player-drops" data-testid="player-drops">
          <summary className="warn">
            {dropped} dropped{sources.some((s) => s.late > 0) ? ', some late' : ''} — by source
          </summary>
          <SourceDropList sources={sources} />
        </details>
      )}
      <div className="player-media">
        <div className="replay-cameras">
          {data.cameras.length === 0 ? (
            <div className="muted">This episode has no camera streams.</div>
          ) : (
            data.cameras.map((camera) => (
              <ReplayCameraTile
                key={camera}
                episode={id}
                camera={camera}
                t0_ns={data.t0_ns}
                t_s={Math.max(t_s, data.firstFrame_s.get(camera) ?? 0)}
                hasDepth={data.depthCameras.has(camera)}
              />
            ))
          )}
        </div>
        <div className="replay-scene">
          {q === undefined ? (
            <div className="muted pad">No joint states recorded: nothing to draw in 3D.</div>
          ) : (
            <ScenePanel onReady={onSceneReady} label="3D replay" testId="replay-scene" />
          )}
        </div>
      </div>
      <div className="transport" role="toolbar" aria-label="Playback">
        <button type="button" onClick={() => playback.seek(0)} title="Start (Home)" aria-label="Go to start">
          |◀︎
        </button>
        <button type="button" onClick={() => playback.step(-1)} title="Previous frame (←)" aria-label="Previous frame">
          ◀︎
        </button>
        <button type="button" className="primary play-button" onClick={playback.toggle} title="Play / pause (Space)">
          {playback.playing ? 'Pause' : 'Play'}
        </button>
        <button type="button" onClick={() => playback.step(1)} title="Next frame (→)" aria-label="Next frame">
          ▶︎
        </button>
        <select
          aria-label="Playback speed"
          value={playback.speed}
          onChange={(event) => playback.setSpeed(Number(event.currentTarget.value))}
        >
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              {s}×
            </option>
          ))}
        </select>
        <span className="mono time-readout" data-testid="playhead-time">
          {t_s.toFixed(2)} / {data.duration_s.toFixed(2)} s
        </span>
        {gripper !== undefined && (
          <span
            className="mono muted"
            data-testid="replay-gripper-width"
            data-width-m={gripperNow_m ?? undefined}
            title="Recorded gripper width at the playhead"
          >
            gripper {formatGripperWidth(gripperNow_m)}
          </span>
        )}
        <span className="transport-spacer" />
        <button type="button" onClick={markSegment} title="Mark a segment start, then its end (M)">
          {pendingStart === null ? 'Mark segment (M)' : 'End segment here (M)'}
        </button>
        <button type="button" onClick={addSegment}>
          Add segment
        </button>
        <button
          type="button"
          onClick={() => setTrim({ start_s: t_s, end_s: trim?.end_s !== undefined && trim.end_s > t_s ? trim.end_s : data.duration_s })}
          title="Trim: keep from here"
        >
          Trim in
        </button>
        <button
          type="button"
          onClick={() => setTrim({ start_s: trim !== null && trim.start_s < t_s ? trim.start_s : 0, end_s: t_s })}
          title="Trim: keep up to here"
        >
          Trim out
        </button>
        {trim !== null && (
          <button type="button" className="link" onClick={() => setTrim(null)}>
            clear trim
          </button>
        )}
      </div>
      <Timeline
        duration_s={data.duration_s}
        t_s={t_s}
        t0_ns={data.t0_ns}
        segments={labels?.segments ?? {}}
        pendingStart_s={pendingStart}
        trim={trim}
        onSeek={playback.seek}
        onPutSegment={(key: string, value: SegmentValue | null, description: string) =>
          labels !== undefined && store.apply(putSegment(labels, id, key, value, description))
        }
      />
      <ForesightRuns episodeId={id} t0_ns={data.t0_ns} duration_s={data.duration_s} t_s={t_s} onSeek={playback.seek} />
      <div className="replay-plots">
        <TimeSeriesPlot
          title="Joint positions"
          unit="rad"
          names={q?.names ?? ['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7']}
          data={jointData}
          cursor_s={t_s}
          onSeek={playback.seek}
          testId="plot-joints"
        />
        <TimeSeriesPlot
          title="End-effector position"
          unit="m"
          names={['x', 'y', 'z']}
          data={eeData}
          cursor_s={t_s}
          onSeek={playback.seek}
        />
        <TimeSeriesPlot
          title="Gripper width"
          unit={GRIPPER_PLOT_UNIT}
          names={['width']}
          data={gripperData}
          cursor_s={t_s}
          onSeek={playback.seek}
          testId="plot-gripper"
        />
      </div>
    </div>
  );
}
