import type { CommandEntry } from '../command.js';

/** Every command: its name and summary here, its module loaded when it runs. */
export const commands: CommandEntry[] = [
  { name: 'build', summary: 'Build an image from a Dockerfile (the default command)', load: async () => (await import('./build.js')).buildCommand },
  { name: 'plan', summary: 'Parse a Dockerfile and print its build plan (stages, steps, state)', load: async () => (await import('./plan.js')).planCommand },
  { name: 'run', summary: 'Run an image in a throwaway container (like docker run --rm)', load: async () => (await import('./run.js')).runCommand },
  { name: 'history', summary: 'Show the steps an image was built from, with sizes and Dockerfile lines', load: async () => (await import('./history.js')).historyCommand },
  { name: 'images', summary: 'List images in the local store', load: async () => (await import('./images.js')).imagesCommand },
  { name: 'tag', summary: 'Give a local image another name', load: async () => (await import('./tag.js')).tagCommand },
  { name: 'rmi', summary: 'Remove image names from the local store', load: async () => (await import('./rmi.js')).rmiCommand },
  { name: 'inspect', summary: 'Print the manifest and config of a local image', load: async () => (await import('./inspect.js')).inspectCommand },
  { name: 'pull', summary: 'Download an image from a registry', load: async () => (await import('./pull.js')).pullCommand },
  { name: 'push', summary: 'Upload a local image to a registry', load: async () => (await import('./push.js')).pushCommand },
  { name: 'login', summary: 'Log in to a registry', load: async () => (await import('./login.js')).loginCommand },
  { name: 'lint', summary: 'Check a Dockerfile, or scan an image for leaked secrets and wasted space', load: async () => (await import('./lint.js')).lintCommand },
  { name: 'du', summary: 'Show what the local store holds and how much space it takes', load: async () => (await import('./du.js')).duCommand },
  { name: 'prune', summary: 'Remove blobs, cache records and leftovers nothing needs (never those of named images)', load: async () => (await import('./prune.js')).pruneCommand },
  { name: 'check', summary: 'Verify the local store: every blob against its digest, every name, record and snapshot', load: async () => (await import('./check.js')).checkCommand },
  { name: 'version', summary: 'Print the tsbuild version', load: async () => (await import('./version.js')).versionCommand },
];
