#!/usr/bin/env -S node --initial-old-space-size=64 --min-semi-space-size=16
// V8 sizes a small process's old generation at ~20 MB and marks the whole heap each time it
// fills: a push streaming 400 MB of layer ran ~80 major GCs (1.2 s of CPU) with a 10 MB heap.
// Starting the limit at 64 MB: a few major GCs there, and peak RSS stays ~140 MB. The young
// generation starts at 1 MB: a no-op rebuild (10k context files checked) scavenged 12 times;
// from 16 MB, 4 times, ~60 ms sooner, for ~5 MB more peak RSS.
// undici parses HTTP with llhttp compiled to WebAssembly; V8 re-compiles it with TurboFan in the
// background, and exit waits for that (~90 ms of every registry command, with a core busy while
// it runs). The baseline compiler's code is plenty for parsing headers.
import { setFlagsFromString } from 'node:v8';
setFlagsFromString('--liftoff-only');

// The bundled CLI (packages/cli/scripts/bundle.mjs): one file to load instead of hundreds.
const { main } = await import('../bundle/main.js');

// Exit as soon as the command is done: an interrupted push or cache export may still hold a
// socket to a registry that stopped answering. (stdout and stderr are synchronous on Linux.)
process.exit(await main(process.argv.slice(2)));
