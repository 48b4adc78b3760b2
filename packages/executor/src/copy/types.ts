import type { SourceLocation } from '@tsbuild/errors';
import type { CopyInstruction } from '@tsbuild/frontend';
import type { BuildContext } from './context.js';
import type { ContentDigestMemo } from './digest-memo.js';

/**
 * Where COPY/ADD take files from: the build context (read in place, `.dockerignore` applied,
 * files owned by root in the result) or another stage's or image's root directory
 * (`--from`; ownership kept unless `--chown`).
 */
export type CopySource = { kind: 'context'; context: BuildContext } | { kind: 'root'; root: string };

/** The parts of a COPY/ADD instruction the copy needs (a `CopyInstruction` fits). */
export type CopySpec = Pick<CopyInstruction, 'kind' | 'sources' | 'dest' | 'heredocs'> &
  Partial<Pick<CopyInstruction, 'chown' | 'chmod' | 'link' | 'parents' | 'exclude' | 'checksum' | 'unpack'>>;

export interface CopyOptions {
  instruction: CopySpec;
  source: CopySource;
  /** The destination root file system (e.g. an overlay merged dir). */
  destRoot: string;
  /** The stage's WORKDIR, against which a relative destination is resolved. Default `/`. */
  workdir?: string;
  /** The Dockerfile line, put on every error. */
  location?: SourceLocation;
  /** Remembers file content digests between builds (sourceDigest only). */
  memo?: ContentDigestMemo;
  signal?: AbortSignal;
}

export interface CopyResult {
  /** Destination paths (absolute inside the destination root) written at the top level. */
  written: string[];
  /** Number of files, directories and links created or replaced. */
  entries: number;
}
