import { expandWord, hostPlatform, platformArgs, type RawInstruction } from '@tsbuild/frontend';
import { isValidReference } from '@tsbuild/oci';

import { suggestName } from './buildkit-names.js';

export type FromReport = (rule: string, raw: RawInstruction, message: string) => void;

interface Expanded {
  result: string;
  matched: Set<string>;
  unmatched: Set<string>;
}

/**
 * BuildKit's checks of FROM lines against the global ARGs: UndefinedArgInFrom (image and
 * --platform), InvalidDefaultArgInFrom (the image name the defaults give), RedundantTargetPlatform
 * and FromPlatformFlagConstDisallowed, with BuildKit's conditions and messages.
 */
export function checkFromLines(globalArgs: RawInstruction[], froms: RawInstruction[], escape: '\\' | '`', report: FromReport): void {
  const platformDefaults = platformArgs(hostPlatform());
  const values = new Map<string, string>(platformDefaults);
  const declared = new Set<string>();
  for (const raw of globalArgs) {
    for (const word of raw.args) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word : word.slice(0, eq);
      declared.add(name);
      if (eq < 0) continue;
      const value = expand(word.slice(eq + 1), values, escape);
      if (value) values.set(name, value.result);
    }
  }
  const known = [...new Set([...declared, ...values.keys()])];
  const reportUndefined = (raw: RawInstruction, unmatched: Set<string>) => {
    for (const name of [...unmatched].sort()) {
      if (known.includes(name)) continue;
      const suggestion = suggestName(name, known);
      report('UndefinedArgInFrom', raw, `FROM argument '${name}' is not declared${suggestion ? ` (did you mean ${suggestion}?)` : ''}`);
    }
  };
  for (const from of froms) {
    const image = from.args[0] ?? '';
    const name = from.args[2]?.toLowerCase() ?? '';
    const base = expand(image, values, escape);
    if (base) {
      reportUndefined(from, base.unmatched);
      if (!isValidReference(base.result)) report('InvalidDefaultArgInFrom', from, `Default value for ARG ${image} results in empty or invalid base image name`);
    }
    const platform = from.flags.find((f) => f.startsWith('--platform='))?.slice('--platform='.length);
    if (platform === undefined) continue;
    const expanded = expand(platform, values, escape);
    if (!expanded) continue;
    reportUndefined(from, expanded.unmatched);
    const { matched, unmatched, result } = expanded;
    if (matched.size === 1 && unmatched.size === 0 && matched.has('TARGETPLATFORM') && result === values.get('TARGETPLATFORM')) {
      report('RedundantTargetPlatform', from, `Setting platform to predefined ${platform} in FROM is redundant as this is the default behavior`);
    }
    if (matched.size === 0 && unmatched.size === 0) {
      const parsed = parsePlatform(result);
      if (parsed && !name.includes(parsed.os) && !name.includes(parsed.arch)) {
        report('FromPlatformFlagConstDisallowed', from, `FROM --platform flag should not use constant value "${result}"`);
      }
    }
  }
}

function expand(word: string, values: Map<string, string>, escape: '\\' | '`'): Expanded | undefined {
  const matched = new Set<string>();
  const unmatched = new Set<string>();
  try {
    const result = expandWord(word, (name) => values.get(name), {
      escape,
      onLookup: (name, defined) => (defined ? matched : unmatched).add(name),
    });
    return { result, matched, unmatched };
  } catch {
    return undefined; // the build reports the syntax error; the linter stays quiet, as BuildKit's does
  }
}

const OSES = new Set(['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'illumos', 'aix', 'android', 'ios', 'js', 'wasip1', 'plan9', 'dragonfly']);

/** containerd's platforms.Parse, as far as the check needs it: OS and architecture. */
function parsePlatform(text: string): { os: string; arch: string } | undefined {
  const parts = text.toLowerCase().split('/');
  if (parts.some((p) => !/^[a-z0-9_.-]+$/.test(p)) || parts.length > 3) return undefined;
  if (parts.length === 1) {
    return OSES.has(parts[0]!) ? { os: parts[0]!, arch: hostPlatform().architecture } : { os: 'linux', arch: parts[0]! };
  }
  if (!OSES.has(parts[0]!)) return undefined;
  return { os: parts[0]!, arch: parts[1]! };
}
