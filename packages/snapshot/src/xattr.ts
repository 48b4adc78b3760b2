import { createRequire } from 'node:module';

/** fs-xattr (native getxattr/setxattr; follows symlinks, so callers never pass a symlink). */
interface XattrBinding {
  listAttributesSync(path: string): string[];
  getAttributeSync(path: string, name: string): Buffer;
  setAttributeSync(path: string, name: string, value: Buffer | string): void;
}

const xattr = createRequire(import.meta.url)('fs-xattr') as XattrBinding;

/** A file's extended attributes as name → raw bytes, names sorted; {} where unsupported. */
export function readXattrs(path: string): Array<[string, Buffer]> {
  let names: string[];
  try {
    names = xattr.listAttributesSync(path);
  } catch {
    return [];
  }
  const result: Array<[string, Buffer]> = [];
  for (const name of names.sort()) {
    try {
      result.push([name, xattr.getAttributeSync(path, name)]);
    } catch {
      // removed between list and get
    }
  }
  return result;
}

export function getXattr(path: string, name: string): Buffer | undefined {
  try {
    return xattr.getAttributeSync(path, name);
  } catch {
    return undefined;
  }
}

export function setXattr(path: string, name: string, value: Buffer | string): void {
  xattr.setAttributeSync(path, name, value);
}

/** Whether an overlay upper directory is marked opaque (it hides everything below it). */
export function isOpaqueDir(path: string): boolean {
  return getXattr(path, 'trusted.overlay.opaque')?.toString() === 'y';
}
