import { useCallback, useEffect, useRef, useState } from 'react';

export const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 4] as const;

export interface Playback {
  t_s: number;
  playing: boolean;
  speed: number;
  seek(t_s: number): void;
  toggle(): void;
  step(frames: number): void;
  changeSpeed(direction: 1 | -1): void;
  setSpeed(speed: number): void;
}

/** The playhead: a clock advanced by requestAnimationFrame while playing, clamped to the episode. */
export function usePlayback(duration_s: number, frameStep_s: number): Playback {
  const [t_s, setT] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1);
  const tRef = useRef(0);
  const clamp = useCallback((t: number) => Math.min(Math.max(0, t), Math.max(0, duration_s)), [duration_s]);

  const seek = useCallback(
    (t: number) => {
      tRef.current = clamp(t);
      setT(tRef.current);
    },
    [clamp],
  );

  useEffect(() => {
    if (!playing) return;
    let last = performance.now();
    let handle = requestAnimationFrame(function tick(now) {
      const next = tRef.current + ((now - last) / 1000) * speed;
      last = now;
      if (next >= duration_s) {
        tRef.current = duration_s;
        setT(duration_s);
        setPlaying(false);
        return;
      }
      tRef.current = next;
      setT(next);
      handle = requestAnimationFrame(tick);
    });
    return () => cancelAnimationFrame(handle);
  }, [playing, speed, duration_s]);

  return {
    t_s,
    playing,
    speed,
    seek,
    toggle: () => {
      // Play from the start again after reaching the end.
      if (!playing && tRef.current >= duration_s) seek(0);
      setPlaying((p) => !p);
    },
    step: (frames) => {
      setPlaying(false);
      // Snap to the frame grid so repeated steps land on the same frames both ways.
      const index = Math.round(tRef.current / frameStep_s) + frames;
      seek(index * frameStep_s);
    },
    changeSpeed: (direction) => {
      const at = SPEEDS.findIndex((s) => s >= speed);
      setSpeed(SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, (at < 0 ? SPEEDS.length - 1 : at) + direction))] ?? 1);
    },
    setSpeed,
  };
}
