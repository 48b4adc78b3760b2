import type { SourceLocation } from '@tsbuild/errors';
import type { Instruction, Step } from '@tsbuild/frontend';
import { PROXY_ARGS } from '@tsbuild/frontend';
import type { HistoryEntry } from '@tsbuild/oci';
import { commandArgv } from './image-config.js';

const HISTORY_COMMENT = 'tsbuild.dockerfile.v0';

/** The history comment that points back at the Dockerfile line, for `history` and lint. */
export function historyComment(location: SourceLocation): string {
  return `${HISTORY_COMMENT} ${location.file}:${location.line}`;
}

/** The Dockerfile location a history comment written by tsbuild names, if any. */
export function locationFromHistory(entry: HistoryEntry): SourceLocation | undefined {
  const match = entry.comment?.match(/^tsbuild\.dockerfile\.v0 (.+):(\d+)$/);
  return match ? { file: match[1]!, line: Number(match[2]) } : undefined;
}

/**
 * `created_by` as BuildKit writes it. A RUN lists the build args it saw (`|N K=V …`): that is how
 * ARG values reach the history, which the lint image scan looks for.
 */
export function createdBy(step: Step, shell: string[]): string {
  const i = step.instruction;
  if (i.kind === 'RUN') {
    const args = step.state.args.filter(([k]) => !PROXY_ARGS.has(k));
    const prefix = args.length ? `|${args.length} ${args.map(([k, v]) => `${k}=${v}`).join(' ')} ` : '';
    return `RUN ${prefix}${commandArgv(i.command, shell).join(' ')} # buildkit`;
  }
  return `${describe(i)}${i.kind === 'COPY' || i.kind === 'ADD' || i.kind === 'WORKDIR' ? ' # buildkit' : ''}`;
}

function describe(i: Instruction): string {
  switch (i.kind) {
    case 'COPY':
    case 'ADD': {
      const flags = [
        i.chown ? `--chown=${i.chown}` : '',
        i.chmod ? `--chmod=${i.chmod}` : '',
        i.link ? '--link' : '',
      ].filter(Boolean);
      const sources = [...i.sources, ...i.heredocs.map((h) => `<<${h.name}`)];
      return [i.kind, ...flags, ...sources, i.dest].join(' ');
    }
    case 'ENV':
    case 'LABEL':
      return `${i.kind} ${i.pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
    case 'WORKDIR':
      return `WORKDIR ${i.path}`;
    case 'USER':
      return `USER ${i.user}`;
    case 'EXPOSE':
      return `EXPOSE map[${i.ports.map((p) => `${p}:{}`).join(' ')}]`;
    case 'VOLUME':
      return `VOLUME ${JSON.stringify(i.paths)}`;
    case 'CMD':
    case 'ENTRYPOINT':
      return `${i.kind} ${JSON.stringify(i.command.form === 'exec' ? i.command.argv : [i.command.script])}`;
    case 'SHELL':
      return `SHELL ${JSON.stringify(i.shell)}`;
    case 'HEALTHCHECK':
      return `HEALTHCHECK ${JSON.stringify(i.healthcheck.test)}`;
    case 'STOPSIGNAL':
      return `STOPSIGNAL ${i.signal}`;
    case 'ONBUILD':
      return `ONBUILD ${i.trigger}`;
    case 'MAINTAINER':
      return `MAINTAINER ${i.maintainer}`;
    case 'ARG':
      return `ARG ${i.args.map((a) => a.name).join(' ')}`;
    case 'FROM':
      return `FROM ${i.image}`;
    case 'RUN':
      return 'RUN';
  }
}
