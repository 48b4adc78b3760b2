export { ArchiveWriter, archiveStream, blobPathInArchive, reachableDescriptors, writeArchiveFile } from './archive.js';
export * from './oci-archive.js';
export * from './docker-archive.js';
export * from './oci-layout.js';
