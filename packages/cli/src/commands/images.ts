import { TsbuildError, isTsbuildError } from '@tsbuild/errors';
import { loadImage, parseReference, type ImageRecord } from '@tsbuild/oci';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { openStores } from '../image-lookup.js';
import { out } from '../output.js';
import { humanSize } from '../format/size.js';

interface ImageRow {
  Repository: string;
  Tag: string;
  Digest: string;
  ID: string;
  CreatedAt: string;
  Size: number | null;
}

export const imagesCommand: Command = {
  name: 'images',
  help: `Usage: tsbuild images [OPTIONS] [REPOSITORY[:TAG]]

Lists the names in the local image store ($TSBUILD_ROOT/images) and the images they point at.
IMAGE ID is the start of the image's manifest (or index) digest; SIZE is the compressed
size of its config and layers.

Options:
  -q, --quiet          Only show image IDs
      --digests        Show the full manifest digest
      --no-trunc       Do not shorten image IDs
      --format FORMAT  table (default) or json (one object per line)

Examples:
  tsbuild images
  tsbuild images busybox
  tsbuild images --format json`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('images', argv, {
      quiet: { type: 'boolean', short: 'q' },
      digests: { type: 'boolean' },
      'no-trunc': { type: 'boolean' },
      format: { type: 'string', default: 'table' },
    });
    const format = values.format as string;
    if (format !== 'table' && format !== 'json') {
      throw new TsbuildError('USAGE', `images: --format must be table or json, not "${format}"`, { kind: 'usage' });
    }
    if (positionals.length > 1) throw new TsbuildError('USAGE', `images: at most one REPOSITORY[:TAG], got ${positionals.length}`, { kind: 'usage' });
    const stores = openStores();
    const records = filterRecords(await stores.images.list(), positionals[0]);
    const rows = await Promise.all(records.map((record) => describeRecord(record, stores.content)));
    const noTrunc = values['no-trunc'] === true;
    if (values.quiet) {
      for (const id of new Set(rows.map((row) => (noTrunc ? row.Digest : row.ID)))) out(id);
    } else if (format === 'json') {
      for (const row of rows) out(JSON.stringify(noTrunc ? { ...row, ID: row.Digest } : row));
    } else {
      printTable(rows, values.digests === true, noTrunc);
    }
    return 0;
  },
};

/** `busybox` matches every tag of docker.io/library/busybox; `busybox:1.36` only that tag. */
function filterRecords(records: ImageRecord[], filter: string | undefined): ImageRecord[] {
  if (filter === undefined) return records;
  const wanted = parseReference(filter, { defaultTag: false });
  return records.filter((r) => r.reference.name === wanted.name && (wanted.tag === undefined || r.reference.tag === wanted.tag));
}

async function describeRecord(record: ImageRecord, content: ReturnType<typeof openStores>['content']): Promise<ImageRow> {
  const row: ImageRow = {
    Repository: record.reference.familiarName,
    Tag: record.reference.tag ?? '<none>',
    Digest: record.target.digest,
    ID: record.target.digest.slice('sha256:'.length, 'sha256:'.length + 12),
    CreatedAt: record.created,
    Size: null,
  };
  try {
    const image = await loadImage(content, record.target);
    row.Size = image.manifest.config.size + image.manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
    if (image.config.created) row.CreatedAt = image.config.created;
  } catch (error) {
    // An image whose blobs are gone (or not for this platform) is still listed, without a size.
    if (!isTsbuildError(error)) throw error;
  }
  return row;
}

function printTable(rows: ImageRow[], digests: boolean, noTrunc: boolean): void {
  const header = ['REPOSITORY', 'TAG', ...(digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
  const cells = rows.map((row) => [
    row.Repository,
    row.Tag,
    ...(digests ? [row.Digest] : []),
    noTrunc ? row.Digest : row.ID,
    humanAge(row.CreatedAt),
    row.Size === null ? '-' : humanSize(row.Size),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((c) => (c[i] ?? '').length)));
  for (const line of [header, ...cells]) {
    out(line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 3))).join('').trimEnd());
  }
}

/** Docker's "2 hours ago" style (go-units HumanDuration). */
export function humanAge(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '-';
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  const minutes = Math.round(seconds / 60);
  const hours = Math.round(seconds / 3600);
  const days = hours / 24;
  let text: string;
  if (seconds < 1) text = 'Less than a second';
  else if (seconds === 1) text = '1 second';
  else if (seconds < 60) text = `${seconds} seconds`;
  else if (minutes === 1) text = 'About a minute';
  else if (minutes < 60) text = `${minutes} minutes`;
  else if (hours === 1) text = 'About an hour';
  else if (hours < 48) text = `${hours} hours`;
  else if (hours < 24 * 7 * 2) text = `${Math.floor(days)} days`;
  else if (hours < 24 * 30 * 2) text = `${Math.floor(days / 7)} weeks`;
  else if (hours < 24 * 365 * 2) text = `${Math.floor(days / 30)} months`;
  else text = `${Math.floor(days / 365)} years`;
  return `${text} ago`;
}
