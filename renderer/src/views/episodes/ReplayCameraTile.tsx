import { useEffect, useRef, useState } from 'react';
import { useStudio } from '../../app/studioContext';
import { depthToRgba } from '../../media/colormap';
import { decodeGray16Png } from '../../media/png16';
import { nsAt } from './episodeData';
import { base64ToBytes } from './thumbnails';

/**
 * One recorded camera at the playhead. Frames are fetched latest-at, one request in flight per
 * tile: while scrubbing, the tile skips to the newest playhead instead of queueing every position.
 * Depth is decoded from the stored 16-bit PNG (millimetres) and drawn with the Turbo colormap.
 */
export function ReplayCameraTile({
  episode,
  camera,
  t0_ns,
  t_s,
  hasDepth,
}: {
  episode: number;
  camera: string;
  t0_ns: bigint;
  t_s: number;
  hasDepth: boolean;
}) {
  const studio = useStudio();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [mode, setMode] = useState<'color' | 'depth'>('color');
  const [error, setError] = useState<string | null>(null);
  const wanted = useRef({ t_s, mode });
  const busy = useRef(false);
  const drawn = useRef('');

  useEffect(() => {
    wanted.current = { t_s, mode };
    if (busy.current) return;
    const pump = async () => {
      busy.current = true;
      try {
        for (;;) {
          const want = wanted.current;
          const stream = `camera.${camera}.${want.mode}`;
          const frame = await studio.api.episodes.frame({ id: episode, stream, t_ns: nsAt(t0_ns, want.t_s) });
          const canvas = canvasRef.current;
          const key = frame === null ? 'none' : `${stream}@${frame.t_ns}`;
          if (frame !== null && canvas !== null && key !== drawn.current) {
            drawn.current = key;
            const bytes = base64ToBytes(frame.data_base64);
            const ctx = canvas.getContext('2d');
            if (want.mode === 'depth') {
              const depth = await decodeGray16Png(bytes);
              canvas.width = depth.width;
              canvas.height = depth.height;
              const image = new ImageData(depth.width, depth.height);
              depthToRgba(depth.data, image.data);
              ctx?.putImageData(image, 0, 0);
            } else {
              const bitmap = await createImageBitmap(
                new Blob([bytes as BlobPart], { type: frame.encoding === 'jpeg' ? 'image/jpeg' : 'image/png' }),
              );
              canvas.width = bitmap.width;
              canvas.height = bitmap.height;
              ctx?.drawImage(bitmap, 0, 0);
              bitmap.close();
            }
          }
          setError(null);
          if (wanted.current === want) break;
        }
      } catch (caught) {
        setError((caught as Error).message);
      } finally {
        busy.current = false;
      }
    };
    void pump();
  }, [studio, episode, camera, t0_ns, t_s, mode]);

  return (
    <figure className="camera-tile" data-testid={`replay-camera-${camera}`}>
      <canvas ref={canvasRef} className="camera-canvas" />
      <figcaption>
        <span>{camera}</span>
        {hasDepth && (
          <span className="segmented" role="group" aria-label={`${camera} image`}>
            <button type="button" aria-pressed={mode === 'color'} onClick={() => setMode('color')}>
              colour
            </button>
            <button type="button" aria-pressed={mode === 'depth'} onClick={() => setMode('depth')}>
              depth
            </button>
          </span>
        )}
      </figcaption>
      {error !== null && <div className="camera-error">{error}</div>}
    </figure>
  );
}
