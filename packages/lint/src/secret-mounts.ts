import type { RawInstruction } from '@tsbuild/frontend';

export interface SecretMountCopy {
  /** The secret's id. */
  id: string;
  /** Where the RUN wrote it, as written in the script. */
  destination: string;
}

interface SecretMount {
  id: string;
  /** The file the secret is mounted at, or undefined for an env= secret. */
  target?: string;
  env?: string;
}

/**
 * Secrets a RUN copies out of its `--mount=type=secret` into the filesystem (`cp`, `mv`,
 * `install`, or a command reading the secret with its output redirected to a file), where the
 * layer keeps them; not when the same RUN removes the copy again.
 */
export function secretMountCopies(run: RawInstruction): SecretMountCopy[] {
  const mounts = run.flags.flatMap(secretMount);
  if (mounts.length === 0) return [];
  const script = [run.args.join(' '), ...run.heredocs.map((h) => h.content)].join('\n');
  const segments = script.split(/&&|\|\||;|\n/);
  const copies: SecretMountCopy[] = [];
  for (const mount of mounts) {
    const source = mount.target ? escapeRegExp(mount.target) : `\\$\\{?${escapeRegExp(mount.env!)}\\b\\}?`;
    for (const segment of segments) {
      if (!new RegExp(source).test(segment)) continue;
      const copied = mount.target ? new RegExp(`\\b(?:cp|mv|install)\\s+(?:-\\S+\\s+)*["']?${source}["']?\\s+(\\S+)`).exec(segment)?.[1] : undefined;
      const redirected = new RegExp(`${source}[^>]*?>>?\\s*(\\S+)`).exec(segment)?.[1] ?? /\btee\s+(?:-\S+\s+)*(\S+)/.exec(segment)?.[1];
      const destination = unquote(copied ?? redirected ?? '');
      if (destination === '' || destination.startsWith('/dev/') || destination.startsWith('&')) continue;
      if (removedLater(script, destination)) continue;
      copies.push({ id: mount.id, destination });
    }
  }
  return copies;
}

function secretMount(flag: string): SecretMount[] {
  if (!flag.startsWith('--mount=')) return [];
  const fields = new Map(flag.slice('--mount='.length).split(',').map((kv) => {
    const eq = kv.indexOf('=');
    return (eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)]) as [string, string];
  }));
  if (fields.get('type') !== 'secret') return [];
  const id = fields.get('id') ?? '';
  const env = fields.get('env');
  const target = fields.get('target') ?? fields.get('dst') ?? fields.get('destination');
  if (env && !target) return [{ id: id || env, env }];
  return [{ id, target: target ?? `/run/secrets/${id}` }];
}

function removedLater(script: string, destination: string): boolean {
  return new RegExp(`\\brm\\s+(?:-\\S+\\s+)*(?:\\S+\\s+)*["']?${escapeRegExp(destination)}["']?(\\s|$)`).test(script);
}

function unquote(text: string): string {
  return text.replace(/^["']|["']$/g, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
