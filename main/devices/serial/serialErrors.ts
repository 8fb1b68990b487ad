import { StudioError } from '../../../shared/api/errors';

/**
 * Turns the terse errors of the serial bindings ("Error: Permission denied, cannot open /dev/ttyUSB0")
 * into what an operator can act on. `device` names the thing on the line, e.g. `Robotiq gripper`.
 */
export function explainOpenError(path: string, device: string, error: unknown): StudioError {
  const text = error instanceof Error ? error.message : String(error);
  if (/permission denied|EACCES/i.test(text)) {
    return new StudioError({
      code: 'failed_precondition',
      message: `permission denied on ${path} (${device})`,
      fix:
        'Serial ports belong to the `dialout` group: run `sudo usermod -aG dialout $USER`, then log out and back in ' +
        '(or install the udev rule from docs/devices). Check with `ls -l ' +
        path +
        '` and `id`.',
    });
  }
  if (/no such file|ENOENT/i.test(text)) {
    return new StudioError({
      code: 'unavailable',
      message: `no serial port at ${path} (${device})`,
      fix: 'Check the USB adapter is plugged in and powered; list ports with `ls -l /dev/serial/by-id/` and use that stable path in the rig config.',
    });
  }
  if (/cannot lock|resource temporarily unavailable|EBUSY|busy/i.test(text)) {
    return new StudioError({
      code: 'unavailable',
      message: `${path} is in use by another program (${device})`,
      fix: `Close the other program (find it with \`fuser ${path}\`), e.g. another studio, a ROS driver or a serial terminal.`,
    });
  }
  return new StudioError({
    code: 'unavailable',
    message: `cannot open ${path} (${device}): ${text}`,
    fix: 'Check the cable and the path in the rig config.',
  });
}
