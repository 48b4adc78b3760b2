import { createGunzip, type Gunzip } from 'node:zlib';

/** zlib's default 16 KiB output chunks cost a thread-pool round trip each: 1 MiB inflates twice as fast. */
const INFLATE_CHUNK_BYTES = 1024 * 1024;

/** A gunzip stream for layers and archives (large output chunks). */
export function gunzipStream(): Gunzip {
  return createGunzip({ chunkSize: INFLATE_CHUNK_BYTES });
}
