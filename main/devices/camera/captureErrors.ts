import { StudioError } from '../../../shared/api/errors';
import type { DeviceStatus } from '../types';

export type DeviceError = NonNullable<DeviceStatus['error']>;

/** What a capture process said and how it ended, to be explained to the operator. */
export interface CaptureFailure {
  /** `camera "front"`, `camera "wrist" depth`: who is speaking. */
  who: string;
  /** The device path or stand-in source. */
  source: string;
  /** The tool that failed: `ffmpeg` or `v4l2-ctl`. */
  tool: string;
  /** The tail of the tool's stderr. */
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The process could not be started at all (e.g. ENOENT: not installed). */
  spawnError?: Error;
  /** It had delivered frames before it ended (a disconnect rather than a failure to start). */
  wasStreaming: boolean;
}

const LIST_HINT = 'List the cameras with `studio devices list` (or `v4l2-ctl --list-devices`).';

function lastLines(text: string, count: number): string {
  return text
    .split('\n')
    .map((line) => line.replace(/^\[[^\]]+ @ 0x[0-9a-f]+\]\s*/, '').trim())
    .filter((line) => line !== '' && !/^frame=|^video:|deprecated pixel format/.test(line))
    .slice(-count)
    .join(' | ');
}

/**
 * Turns ffmpeg's and v4l2-ctl's terse messages into an error that names the camera and the fix:
 * permissions (the `video` group), a missing or busy node, a node that is not a capture node, an
 * unsupported size, rate or pixel format, an unplugged camera, a missing tool.
 */
export function explainCaptureFailure(failure: CaptureFailure): DeviceError {
  const { who, source, tool, stderr } = failure;
  if (failure.spawnError !== undefined) {
    const missing = (failure.spawnError as NodeJS.ErrnoException).code === 'ENOENT';
    return missing
      ? {
          message: `cannot run ${tool} for ${who}: it is not installed or not on PATH`,
          fix:
            tool === 'v4l2-ctl'
              ? 'Install v4l-utils (Debian/Ubuntu: `sudo apt-get install v4l-utils`), or point STUDIO_V4L2_CTL at the binary.'
              : 'Install ffmpeg (Debian/Ubuntu: `sudo apt-get install ffmpeg`), or point STUDIO_FFMPEG at the binary.',
        }
      : { message: `cannot run ${tool} for ${who}: ${failure.spawnError.message}`, fix: `Check that ${tool} runs from a terminal.` };
  }
  if (/permission denied|EACCES|Operation not permitted/i.test(stderr)) {
    return {
      message: `permission denied on ${source} (${who})`,
      fix:
        'Video devices belong to the `video` group: run `sudo usermod -aG video $USER`, then log out and back in. ' +
        `Check with \`ls -l ${source}\` and \`id\`.`,
    };
  }
  if (/No such device\b|ENODEV/i.test(stderr) || (failure.wasStreaming && /Input\/output error|EIO|ioctl\(VIDIOC_DQBUF\)/i.test(stderr))) {
    return {
      message: `${who} was unplugged or stopped answering (${source})`,
      fix: `Check the USB cable (use a USB 3 port for depth cameras), then connect the camera again. ${LIST_HINT}`,
    };
  }
  if (/No such file or directory|ENOENT|Cannot open device/i.test(stderr)) {
    return {
      message: `no camera at ${source} (${who})`,
      fix: `Check the camera is plugged in, and use the path of its capture node in the rig config; a \`/dev/v4l/by-id/...\` link keeps the same name across reboots. ${LIST_HINT}`,
    };
  }
  if (/Device or resource busy|EBUSY/i.test(stderr)) {
    return {
      message: `${source} is in use by another program (${who})`,
      fix: `Close the other program (find it with \`fuser ${source}\`), e.g. another studio, a browser tab, a ROS driver or cheese.`,
    };
  }
  if (/Inappropriate ioctl|Not a video capture device|QUERYCAP/i.test(stderr)) {
    return {
      message: `${source} is not a video capture node (${who})`,
      fix: `A UVC camera has several /dev/video nodes; only one delivers images (the others carry metadata). ${LIST_HINT}`,
    };
  }
  const size = /changed the video from (\d+x\d+) to (\d+x\d+)/.exec(stderr);
  if (size !== null) {
    return {
      message: `${who} cannot deliver ${size[1]}; ${source} offers ${size[2]} in this pixel format`,
      fix: `Set width_px and height_px to a size the camera supports (\`v4l2-ctl -d ${source} --list-formats-ext\`), or choose another pixel_format.`,
    };
  }
  const period = /changed the time per frame from (\d+)\/(\d+) to (\d+)\/(\d+)/.exec(stderr);
  if (period !== null && driverChangedSettings(period[0])) {
    const asked = Number(period[2]) / Number(period[1]);
    const got = Number(period[4]) / Number(period[3]);
    return {
      message: `${who} cannot run at ${asked} fps at this size; ${source} offers ${Number(got.toFixed(3))} fps`,
      fix: `Set fps_hz to a rate the camera supports at this size (\`v4l2-ctl -d ${source} --list-formats-ext\`); MJPEG usually allows higher rates than YUYV.`,
    };
  }
  if (/Cannot find a proper format|changed the pixel format|Invalid pixel format|not supported by the device|VIDIOC_S_FMT/i.test(stderr)) {
    return {
      message: `${who} does not offer the requested pixel format on ${source}`,
      fix: `Set pixel_format to one the camera lists (\`ffmpeg -f v4l2 -list_formats all -i ${source}\`), or "auto".`,
    };
  }
  const said = lastLines(stderr, 3);
  if (failure.signal !== null) {
    return {
      message: `${tool} capturing ${who} was stopped by ${failure.signal}${said !== '' ? `: ${said}` : ''}`,
      fix: 'Connect the camera again to restart capture. If it keeps happening, check the system log (`journalctl -k`) for the USB device or for memory pressure.',
    };
  }
  if (failure.wasStreaming && failure.code === 0) {
    return {
      message: `${who} stopped: the source ${source} ended`,
      fix: 'A replayed file ends; set `loop: true` to repeat it. For a camera, check the cable and connect again.',
    };
  }
  return {
    message: `${tool} capturing ${who} from ${source} exited${failure.code !== null ? ` with code ${failure.code}` : ''}${said !== '' ? `: ${said}` : ''}`,
    fix: `Check the cable and the device path in the rig config, then connect the camera again. ${LIST_HINT}`,
  };
}

/** The same error as a thrown `StudioError` (what `connect()` rejects with). */
export function captureError(error: DeviceError): StudioError {
  return new StudioError({ code: 'unavailable', message: error.message, ...(error.fix !== undefined ? { fix: error.fix } : {}) });
}

/** The operator-facing part of anything thrown: a `StudioError`'s message and fix, or the message. */
export function asDeviceError(error: unknown): DeviceError {
  if (error instanceof StudioError)
    return error.fix !== undefined ? { message: error.message, fix: error.fix } : { message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}

/**
 * ffmpeg only warns when the V4L2 driver changes the size or the frame period it was asked for, then
 * runs on with what the driver chose. A different size or a rate more than 1 % off is an error here.
 */
export function driverChangedSettings(stderr: string): boolean {
  if (/changed the video from \d+x\d+ to/.test(stderr)) return true;
  const period = /changed the time per frame from (\d+)\/(\d+) to (\d+)\/(\d+)/.exec(stderr);
  if (period === null) return false;
  const asked = Number(period[2]) / Number(period[1]);
  const got = Number(period[4]) / Number(period[3]);
  return !(Math.abs(got - asked) <= 0.01 * asked);
}
