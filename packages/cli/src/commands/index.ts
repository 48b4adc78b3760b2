import type { Command } from '../command.js';
import { versionCommand } from './version.js';

/** Every command, one import and one entry each. */
export const commands: Command[] = [versionCommand];
