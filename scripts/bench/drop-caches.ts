/**
 * Writes back dirty pages and drops clean page-cache pages, dentries and inodes (needs root), so the next
 * access to a FUSE mount reaches its daemon. Returns false when not allowed, so a result can say it may
 * have been served from the kernel's caches.
 */
import { writeFileSync } from 'node:fs';

export function dropCaches(): boolean {
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}
