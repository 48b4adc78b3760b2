/** What pulls and pushes report as they go; the CLI decides how to show it. */
export type RegistryProgress =
  | { kind: 'blob-start'; digest: string; size: number }
  | { kind: 'blob-bytes'; digest: string; done: number; size: number }
  | { kind: 'blob-done'; digest: string; size: number; outcome: BlobOutcome }
  | { kind: 'manifest'; digest: string; reference: string };

/** fetched/uploaded moved bytes; present (local store), exists (registry) and mounted did not. */
export type BlobOutcome = 'fetched' | 'present' | 'uploaded' | 'exists' | 'mounted';

export type ProgressListener = (event: RegistryProgress) => void;

/** Passes chunks through, reporting the running byte count. */
export async function* countBytes(source: AsyncIterable<Uint8Array>, digest: string, size: number, listener: ProgressListener | undefined): AsyncIterable<Uint8Array> {
  let done = 0;
  for await (const chunk of source) {
    done += chunk.length;
    listener?.({ kind: 'blob-bytes', digest, done, size });
    yield chunk;
  }
}
