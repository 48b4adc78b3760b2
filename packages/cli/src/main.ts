import { TsbuildError } from '@tsbuild/errors';
import { commands } from './commands/index.js';
import { out, reportError } from './output.js';
import { tsbuildVersion } from './version.js';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: tsbuild [COMMAND] [OPTIONS]

A daemonless Dockerfile build engine. 'tsbuild -t REF .' is 'tsbuild build -t REF .'.

Commands:
${lines.join('\n')}

Run 'tsbuild COMMAND --help' for a command's options and examples.`;
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  try {
    const [first, ...rest] = args;
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      out(usage());
      return 0;
    }
    if (first === '--version' || first === '-v') {
      out(`tsbuild ${tsbuildVersion()}`);
      return 0;
    }
    const named = commands.find((c) => c.name === first);
    // Like `docker buildx`, anything that is not a command is a build.
    const entry = named ?? commands.find((c) => c.name === 'build');
    const commandArgs = named ? rest : args;
    if (!entry) throw new TsbuildError('USAGE', `unknown command '${first}'. See 'tsbuild --help'.`, { kind: 'usage' });
    const command = await entry.load();
    if (commandArgs.includes('--help') || commandArgs.includes('-h')) {
      out(command.help);
      return 0;
    }
    return await command.run(commandArgs);
  } catch (error) {
    return reportError(error, debug);
  }
}
