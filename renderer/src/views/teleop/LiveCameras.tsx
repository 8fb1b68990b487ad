import { useEffect, useRef, useState } from 'react';
import type { StreamMessage } from '../../../../shared/api/client';
import type { CameraConfig } from '../../../../shared/rig/rigConfig';
import { useStudio } from '../../app/studioContext';
import { depthToRgba, rgbToRgba } from '../../media/colormap';

interface TileStats {
  fps: number;
  expected_fps: number;
  /** Arrival delay beyond the best seen so far: the core's clock is not the browser's, so only relative lag is knowable. */
  lag_ms: number;
  skipped: number;
}

type Frame = StreamMessage<'camera.preview'>;

/**
 * Live camera previews from the binary `camera.preview` stream. Frames are kept newest-only per
 * camera and drawn on the next animation frame, so a burst never queues work on the main thread;
 * frames replaced before they were drawn are counted as skipped.
 */
export function LiveCameras({ cameras }: { cameras: readonly CameraConfig[] }) {
  const studio = useStudio();
  const canvases = useRef(new Map<string, HTMLCanvasElement>());
  const [stats, setStats] = useState<Record<string, TileStats>>({});
  const [receiving, setReceiving] = useState(false);
  // One tile at a time can be enlarged (click it; click again to shrink): a 150 px tile cannot show a grasp.
  const [enlarged, setEnlarged] = useState<string | null>(null);

  useEffect(() => {
    const latest = new Map<string, Frame>();
    const counters = new Map<string, { frames: number; skipped: number; bestOffset: number; lastLag: number }>();
    const images = new Map<string, ImageData>();
    let raf = 0;
    const draw = () => {
      raf = 0;
      for (const [key, frame] of latest) {
        const canvas = canvases.current.get(key);
        if (canvas === undefined) continue;
        const { width_px: w, height_px: h, encoding } = frame.header;
        if (canvas.width !== w || canvas.height !== h) {
          canvas.width = w;
          canvas.height = h;
        }
        let image = images.get(key);
        if (image === undefined || image.width !== w || image.height !== h) {
          image = new ImageData(w, h);
          images.set(key, image);
        }
        if (encoding === 'rgb8') rgbToRgba(frame.payload, image.data);
        else if (encoding === 'depth_mm16') {
          const p = frame.payload;
          // The payload may not be 2-byte aligned inside the frame buffer: copy when it is not.
          const aligned = p.byteOffset % 2 === 0 ? p : p.slice();
          depthToRgba(new Uint16Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.byteLength / 2)), image.data);
        } else continue;
        canvas.getContext('2d')?.putImageData(image, 0, 0);
      }
      latest.clear();
    };
    const off = studio.onStream('camera.preview', (frame) => {
      const key = `${frame.header.camera}:${frame.header.encoding === 'depth_mm16' ? 'depth' : 'color'}`;
      const counter = counters.get(key) ?? { frames: 0, skipped: 0, bestOffset: Infinity, lastLag: 0 };
      counter.frames++;
      if (latest.has(key)) counter.skipped++;
      const offset = performance.now() - Number(BigInt(frame.header.capture_ns) / 1000n) / 1000;
      counter.bestOffset = Math.min(counter.bestOffset, offset);
      counter.lastLag = offset - counter.bestOffset;
      counters.set(key, counter);
      latest.set(key, frame);
      if (raf === 0) raf = requestAnimationFrame(draw);
    });
    let lastTick = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      const seconds = (now - lastTick) / 1000;
      lastTick = now;
      const next: Record<string, TileStats> = {};
      for (const [key, c] of counters) {
        const camera = cameras.find((cam) => key.startsWith(`${cam.name}:`));
        next[key] = { fps: c.frames / seconds, expected_fps: camera?.fps_hz ?? 0, lag_ms: c.lastLag, skipped: c.skipped };
        c.frames = 0;
      }
      setStats(next);
      setReceiving(counters.size > 0);
    }, 1000);
    return () => {
      off();
      clearInterval(timer);
      if (raf !== 0) cancelAnimationFrame(raf);
    };
  }, [studio, cameras]);

  if (cameras.length === 0)
    return <div className="muted pad">No cameras in this rig. Add one to the rig config's “cameras” list (Settings).</div>;
  const tiles = cameras.flatMap((camera) => [
    { camera, kind: 'color' as const },
    ...(camera.depth ? [{ camera, kind: 'depth' as const }] : []),
  ]);
  return (
    <div className="live-cameras" data-testid="live-cameras">
      {tiles.map(({ camera, kind }) => {
        const key = `${camera.name}:${kind}`;
        const s = stats[key];
        const slow = s !== undefined && s.expected_fps > 0 && s.fps < s.expected_fps * 0.8;
        return (
          <figure
            key={key}
            className={`camera-tile${enlarged === key ? ' camera-tile-large' : ''}`}
            data-testid={`live-camera-${camera.name}-${kind}`}
            data-enlarged={enlarged === key}
            onClick={() => setEnlarged((current) => (current === key ? null : key))}
            title={enlarged === key ? 'Click to shrink' : 'Click to enlarge'}
          >
            <canvas
              className="camera-canvas"
              width={camera.width_px}
              height={camera.height_px}
              ref={(el) => {
                if (el === null) canvases.current.delete(key);
                else canvases.current.set(key, el);
              }}
            />
            <figcaption>
              <span>
                {camera.name} {kind === 'depth' ? 'depth' : ''}
              </span>
              <span
                className={slow ? 'warn' : 'muted'}
                title="received frames per second / configured rate; lag is arrival delay beyond the best seen"
              >
                {s === undefined
                  ? receiving
                    ? 'no frames'
                    : '—'
                  : `${s.fps.toFixed(0)}/${s.expected_fps} fps · +${s.lag_ms.toFixed(0)} ms`}
              </span>
            </figcaption>
          </figure>
        );
      })}
    </div>
  );
}
