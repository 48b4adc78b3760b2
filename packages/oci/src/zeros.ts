const ZERO_BYTES = 1 << 20;
const ZEROS = Buffer.alloc(ZERO_BYTES);

/**
 * Whether every byte of `data` is zero, compared against a zero buffer a MiB at a time (memcmp
 * speed). Lets writers leave holes instead of writing runs of zeros: sparse files stay sparse.
 */
export function isAllZero(data: Uint8Array): boolean {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let offset = 0; offset < bytes.byteLength; offset += ZERO_BYTES) {
    const part = bytes.subarray(offset, offset + ZERO_BYTES);
    if (!part.equals(ZEROS.subarray(0, part.byteLength))) return false;
  }
  return true;
}
