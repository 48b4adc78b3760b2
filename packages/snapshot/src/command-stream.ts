import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { TsbuildError } from '@tsbuild/errors';

export interface StreamCommand {
  /** The program (`zstd`, `xz`, `bzip2`) and its arguments: it reads stdin and writes stdout. */
  command: string;
  args: string[];
  /** What the bytes are and what is done to them, for errors: "decompressing layer sha256:…". */
  doing: string;
}

/**
 * `input` piped through a system command, as a stream: memory stays flat whatever the size. The
 * output fails when the command cannot start or exits non-zero; destroying the output stops the
 * command and the input.
 */
export function throughCommand(input: Readable, { command, args, doing }: StreamCommand): Readable {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const output = new PassThrough({ highWaterMark: 1 << 20 });
  let stderr = '';
  let stopped = false; // we ended the command because the output was closed
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('error', (error) =>
    output.destroy(new TsbuildError('TOOL_MISSING', `cannot run ${command} ${doing} (install it): ${error.message}`)),
  );
  child.stdin.on('error', () => undefined); // the reader may stop early (EPIPE)
  input.on('error', (error) => output.destroy(error));
  input.pipe(child.stdin);
  child.stdout.pipe(output, { end: false });
  child.on('close', (code, signal) => {
    if (code === 0) output.end();
    else if (!stopped) output.destroy(new Error(`${command} failed ${doing}: ${stderr.trim() || `exit ${code ?? signal}`}`));
  });
  output.on('close', () => {
    if (child.exitCode === null) {
      stopped = true;
      child.kill('SIGTERM');
    }
    input.destroy();
  });
  return output;
}
