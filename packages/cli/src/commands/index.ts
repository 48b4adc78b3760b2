import type { Command } from '../command.js';
import { versionCommand } from './version.js';
import { imagesCommand } from './images.js';
import { tagCommand } from './tag.js';
import { rmiCommand } from './rmi.js';
import { inspectCommand } from './inspect.js';
import { planCommand } from './plan.js';
import { buildCommand } from './build.js';
import { runCommand } from './run.js';
import { historyCommand } from './history.js';
import { checkCommand } from './check.js';
import { lintCommand } from './lint.js';
import { duCommand } from './du.js';
import { pruneCommand } from './prune.js';
import { pullCommand } from './pull.js';
import { pushCommand } from './push.js';
import { loginCommand } from './login.js';

/** Every command, one import and one entry each. */
export const commands: Command[] = [
  buildCommand,
  planCommand,
  runCommand,
  historyCommand,
  duCommand,
  pruneCommand,
  checkCommand,
  lintCommand,
  versionCommand,
  imagesCommand,
  tagCommand,
  rmiCommand,
  inspectCommand,
  pullCommand,
  pushCommand,
  loginCommand,
];
