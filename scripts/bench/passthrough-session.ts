/**
 * One FUSE mount on fuse-native (libfuse2 high-level API, multithreaded loop), with every mount option
 * passed explicitly (STYLE: no silent defaults): fuse-native's own option builder knows neither use_ino,
 * negative_timeout, big_writes nor max_write, and libfuse2 falls back to 4 KiB writes without big_writes.
 * Also closes two holes of fuse-native's xattr adapters: a value or name list larger than the caller's
 * buffer must fail with ERANGE (fuse-native copied a truncated value and reported the full length).
 * The benchmark's passthrough daemon mounts with it: what a minimal Node FUSE daemon on fuse-native
 * costs (dfuse itself runs on the libfuse3 low-level API, dfuse/fuse-lowlevel.ts).
 */
import { constants } from 'node:os';
import Fuse, { type FuseCaller, type FuseOps } from 'fuse-native';

/** libfuse2's largest write/read request on kernels without FUSE_MAX_PAGES negotiation (32 pages). */
export const FUSE_IO_BYTES_MAX = 128 * 1024;

export interface FuseMountOptions {
  readonly fsname: string;
  readonly subtype: string;
  /** Seconds the kernel keeps attributes, positive and negative lookups. */
  readonly attrTimeout: number;
  readonly entryTimeout: number;
  readonly negativeTimeout: number;
  /** 'auto': page cache kept across opens while mtime and size are unchanged; 'off': direct I/O. */
  readonly dataCache: 'auto' | 'off';
  /** Other users may use the mount (needs root or user_allow_other); the kernel checks permissions. */
  readonly allowOther: boolean;
  /** The kernel checks permissions against the modes and owners we report (always on). */
  readonly defaultPermissions: true;
  /** Read-only mount. */
  readonly readOnly: boolean;
  /** Handler timeout in ms before fuse-native answers ETIMEDOUT. */
  readonly opTimeoutMs: number;
}

/** The "-o" list for libfuse, every option explicit. */
export function fuseOptionList(options: FuseMountOptions): string[] {
  const list = [
    `fsname=${options.fsname}`,
    `subtype=${options.subtype}`,
    'use_ino',
    'readdir_ino',
    `attr_timeout=${options.attrTimeout}`,
    `entry_timeout=${options.entryTimeout}`,
    `negative_timeout=${options.negativeTimeout}`,
    'big_writes',
    `max_write=${FUSE_IO_BYTES_MAX}`,
    `max_read=${FUSE_IO_BYTES_MAX}`,
    'default_permissions',
    options.dataCache === 'auto' ? 'auto_cache' : 'direct_io',
  ];
  if (options.allowOther) list.push('allow_other');
  if (options.readOnly) list.push('ro');
  return list;
}

const ERANGE = -constants.errno.ERANGE;

export class FuseSession extends Fuse {
  readonly #options: string;

  constructor(mountPoint: string, ops: FuseOps, options: FuseMountOptions) {
    super(mountPoint, ops, { timeout: options.opTimeoutMs, mkdir: false, force: false });
    this.#options = `-o${fuseOptionList(options).join(',')}`;
  }

  protected override _fuseOptions(): string {
    return this.#options;
  }

  protected override _op_getxattr(signal: (result: number, buffer: ArrayBuffer) => void, path: string, name: string, valueBuf: Buffer, position: number): void {
    super._op_getxattr((result, buffer) => {
      // A size query has an empty buffer; otherwise a value that does not fit is ERANGE, not a truncation.
      signal(result > 0 && valueBuf.length > 0 && result > valueBuf.length ? ERANGE : result, buffer);
    }, path, name, valueBuf, position);
  }

  protected override _op_listxattr(signal: (result: number, buffer: ArrayBuffer) => void, path: string, listBuf: Buffer): void {
    super._op_listxattr((result, buffer) => {
      signal(result > 0 && listBuf.length > 0 && result > listBuf.length ? ERANGE : result, buffer);
    }, path, listBuf);
  }

  /** Mounts; rejects with fuse-native's error (e.g. the mount point is busy or missing). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => this.mount((error) => (error === null ? resolve() : reject(error))));
  }

  /** Unmounts (fusermount -uz under the hood). */
  stop(): Promise<void> {
    return new Promise((resolve, reject) => this.unmount((error) => (error === null ? resolve() : reject(error))));
  }

  /** The process behind the request being handled: read it first thing in a handler. */
  caller(): FuseCaller {
    return this.context() ?? { uid: 0, gid: 0, pid: 0, umask: 0 };
  }
}
