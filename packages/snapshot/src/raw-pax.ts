import type * as tar from 'tar-stream';

const XATTR_PREFIX = 'SCHILY.xattr.';
/** Key under which the raw bytes of an xattr PAX record are kept (latin1, one char per byte). */
export const RAW_XATTR_PREFIX = 'TSBUILD.raw-xattr.';

interface ExtractInternals {
  _decodeLongHeader?: (buf: Buffer) => void;
  _header?: { type?: string } | null;
  _pax?: Record<string, string> | null;
}

/**
 * tar-stream decodes PAX values as UTF-8 text, which corrupts binary xattrs such as
 * security.capability. This hooks its (private) PAX decoding on one extractor so each
 * `SCHILY.xattr.*` record is also kept byte for byte under RAW_XATTR_PREFIX. If tar-stream's
 * internals change, the hook is a no-op and the UTF-8 values are used (a test pins this).
 */
export function keepRawXattrs(extract: tar.Extract): void {
  const internals = extract as unknown as ExtractInternals;
  const original = internals._decodeLongHeader;
  if (typeof original !== 'function') return;
  internals._decodeLongHeader = function (this: ExtractInternals, buf: Buffer): void {
    original.call(this, buf);
    if (this._header?.type === 'pax-header' && this._pax) Object.assign(this._pax, rawXattrRecords(buf));
  };
}

/** `LEN key=value\n` records → raw xattr values keyed by RAW_XATTR_PREFIX + name. */
function rawXattrRecords(buf: Buffer): Record<string, string> {
  const result: Record<string, string> = {};
  let rest = buf;
  while (rest.byteLength > 0) {
    const space = rest.indexOf(0x20);
    if (space <= 0) break;
    const length = parseInt(rest.subarray(0, space).toString('latin1'), 10);
    if (!(length > space) || length > rest.byteLength) break;
    const record = rest.subarray(space + 1, length - 1);
    const equals = record.indexOf(0x3d);
    if (equals > 0) {
      const key = record.subarray(0, equals).toString('utf8');
      if (key.startsWith(XATTR_PREFIX)) result[RAW_XATTR_PREFIX + key.slice(XATTR_PREFIX.length)] = record.subarray(equals + 1).toString('latin1');
    }
    rest = rest.subarray(length);
  }
  return result;
}
