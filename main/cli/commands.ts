import type { Command } from './command';
import { armCommand } from './armCommand';
import { dbCommand } from './dbCommand';
import { exportCommand } from './exportCommand';
import { importCommand } from './importCommand';
import { recordCommand } from './recordCommand';
import { simCommand } from './simCommand';
import { webCommand } from './webCommand';
import { gripperCommand } from './gripperCommand';
import { devicesCommand } from './devicesCommand';
import { imagineCommand } from './imagineCommand';
import { policyCommand } from './policyCommand';

/** Every `studio` subcommand, in the order `studio --help` lists them. */
export const commands: readonly Command[] = [
  webCommand,
  recordCommand,
  dbCommand,
  exportCommand,
  importCommand,
  simCommand,
  imagineCommand,
  policyCommand,
  armCommand,
  gripperCommand,
  devicesCommand,
];
