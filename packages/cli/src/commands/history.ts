import { locationFromHistory } from '@tsbuild/builder';
import { TsbuildError, formatLocation } from '@tsbuild/errors';
import { loadImage } from '@tsbuild/oci';

import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { findImage, openStores } from '../image-lookup.js';
import { out } from '../output.js';
import { humanSize } from '../format/size.js';

export const historyCommand: Command = {
  name: 'history',
  help: `Usage: tsbuild history [OPTIONS] IMAGE

Lists the image's history, newest first, like 'docker history': when each step ran, the layer
size it added, the instruction, and (for images built by tsbuild) the Dockerfile line.

Options:
      --no-trunc   Do not shorten the CREATED BY column
      --format json  One JSON object per step

Examples:
  tsbuild history hello
  tsbuild history --no-trunc 127.0.0.1:5000/hello:latest`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('history', argv, {
      'no-trunc': { type: 'boolean' },
      format: { type: 'string', default: 'table' },
    });
    if (positionals.length !== 1) throw new TsbuildError('USAGE', "history: expected one image. See 'tsbuild history --help'.", { kind: 'usage' });
    const stores = openStores();
    const found = await findImage(positionals[0]!, stores);
    const image = await loadImage(stores.content, found.target);
    const layers = [...image.manifest.layers];
    const rows = (image.config.history ?? []).map((entry) => {
      const layer = entry.empty_layer ? undefined : layers.shift();
      const location = locationFromHistory(entry);
      return {
        created: entry.created ?? '',
        createdBy: entry.created_by ?? '',
        size: layer?.size ?? 0,
        line: location ? formatLocation(location) : '',
      };
    }).reverse();
    if (values.format === 'json') {
      for (const row of rows) out(JSON.stringify(row));
      return 0;
    }
    const noTrunc = values['no-trunc'] === true;
    const lineWidth = Math.max('DOCKERFILE'.length, ...rows.map((r) => r.line.length));
    out(['CREATED'.padEnd(20), 'SIZE'.padEnd(9), 'DOCKERFILE'.padEnd(lineWidth), 'CREATED BY'].join(' '));
    for (const row of rows) {
      const by = noTrunc || row.createdBy.length <= 60 ? row.createdBy : `${row.createdBy.slice(0, 59)}…`;
      out([row.created.slice(0, 19).padEnd(20), humanSize(row.size).padEnd(9), row.line.padEnd(lineWidth), by].join(' '));
    }
    return 0;
  },
};
