import type { StreamRow } from '../store/episodeStore';
import type { StreamDecl } from '../store/writeOps';

/**
 * How an imported LeRobot dataset lives in the store, and how it goes back out: each numeric feature
 * is a stream `lerobot.<feature>` and each camera `camera.<name>.color`, with the feature's key, dtype
 * and names in the stream's meta (`lerobot_feature`, …), so a re-export writes the same features
 * with the same values. The import writes these declarations; the exporter reads them back.
 */

export const IMPORTED_PREFIX = 'lerobot.';
export const IMPORT_TAGS = ['imported', 'lerobot'] as const;

/** What an imported stream's meta says about the feature it came from. */
export interface ImportedFeatureMeta {
  lerobot_feature: string;
  lerobot_dtype: string;
  lerobot_shape: number[];
  lerobot_names: unknown;
  lerobot_info?: Record<string, unknown> | null;
}

export function importedNumericStream(
  feature: { key: string; dtype: string; dim: number; names: string[] | null; rawNames: unknown },
  fps: number,
): StreamDecl {
  const meta: ImportedFeatureMeta = {
    lerobot_feature: feature.key,
    lerobot_dtype: feature.dtype,
    lerobot_shape: [feature.dim],
    lerobot_names: feature.rawNames,
  };
  return {
    name: `${IMPORTED_PREFIX}${feature.key}`,
    kind: 'lowdim',
    dtype: feature.dtype,
    shape: [feature.dim],
    ...(feature.names !== null ? { names: feature.names } : {}),
    nominal_rate_hz: fps,
    meta: { ...meta },
  };
}

/** `observation.images.front` → camera `front`; any other key keeps its text with dots as `_`. */
export function cameraNameOf(featureKey: string): string {
  const prefix = 'observation.images.';
  return featureKey.startsWith(prefix) ? featureKey.slice(prefix.length) : featureKey.replaceAll('.', '_');
}

export function importedCameraStream(
  camera: { key: string; storage: 'video' | 'image'; width: number; height: number; info: Record<string, unknown> | null },
  fps: number,
): StreamDecl {
  const meta: ImportedFeatureMeta = {
    lerobot_feature: camera.key,
    lerobot_dtype: camera.storage,
    lerobot_shape: [camera.height, camera.width, 3],
    lerobot_names: ['height', 'width', 'channels'],
    lerobot_info: camera.info,
  };
  return {
    name: `camera.${cameraNameOf(camera.key)}.color`,
    kind: 'image',
    dtype: 'uint8',
    shape: [camera.height, camera.width, 3],
    names: ['height', 'width', 'channels'],
    // Video frames are decoded to JPEG; image features keep their own files (PNG as LeRobot writes them).
    encoding: camera.storage === 'video' ? 'jpeg' : 'png',
    nominal_rate_hz: fps,
    meta: { ...meta },
  };
}

/** The LeRobot feature a stream was imported from, or null for a recorded stream. */
export function importedFeatureOf(stream: StreamRow): ImportedFeatureMeta | null {
  const feature = stream.meta?.lerobot_feature;
  if (typeof feature !== 'string') return null;
  const meta = stream.meta!;
  return {
    lerobot_feature: feature,
    lerobot_dtype: typeof meta.lerobot_dtype === 'string' ? meta.lerobot_dtype : stream.dtype,
    lerobot_shape: Array.isArray(meta.lerobot_shape) ? (meta.lerobot_shape as number[]) : stream.shape,
    lerobot_names: meta.lerobot_names ?? null,
    lerobot_info: (meta.lerobot_info as Record<string, unknown> | null | undefined) ?? null,
  };
}
