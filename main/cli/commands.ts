import type { Command } from './command';
import { armCommand } from './armCommand';
import { dbCommand } from './dbCommand';
import { simCommand } from './simCommand';
import { webCommand } from './webCommand';
import { gripperCommand } from './gripperCommand';

/** Every `studio` subcommand, in the order `studio --help` lists them. */
export const commands: readonly Command[] = [webCommand, dbCommand, simCommand, armCommand, gripperCommand];
