#!/usr/bin/env node
// The bundled CLI (packages/cli/scripts/bundle.mjs): one file to load instead of hundreds.
import { main } from '../bundle/main.js';

// Exit as soon as the command is done: an interrupted push or cache export may still hold a
// socket to a registry that stopped answering. (stdout and stderr are synchronous on Linux.)
process.exit(await main(process.argv.slice(2)));
