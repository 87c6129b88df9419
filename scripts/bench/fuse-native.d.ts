/**
 * Types for fuse-native 2.2.6 as patched by patches/fuse-native+2.2.6.patch (caller credentials through
 * context(), 64-bit st_ino, utimens with UTIME_NOW/UTIME_OMIT). Only what the benchmark's passthrough
 * daemon uses is declared. Callbacks take a negative errno (or 0) first, as fuse-native
 * expects; read and write callbacks take the byte count or a negative errno.
 */
declare module 'fuse-native' {
  export interface FuseStat {
    mode: number;
    uid: number;
    gid: number;
    size: number;
    dev?: number;
    nlink: number;
    /** 64-bit inode numbers pass as bigint (patched). */
    ino: number | bigint;
    rdev?: number;
    blksize: number;
    blocks: number;
    /** Milliseconds since the epoch. */
    atime: number;
    mtime: number;
    ctime: number;
  }

  export interface FuseStatfs {
    bsize: number;
    frsize: number;
    blocks: number;
    bfree: number;
    bavail: number;
    files: number;
    ffree: number;
    favail: number;
    fsid: number;
    flag: number;
    namemax: number;
  }

  export type Done = (errno: number) => void;
  export type DoneWith<T> = (errno: number, value?: T) => void;

  /** The handler table; a handler that is absent is not registered with libfuse. */
  export interface FuseOps {
    init?(cb: Done): void;
    statfs?(path: string, cb: DoneWith<FuseStatfs>): void;
    getattr?(path: string, cb: DoneWith<FuseStat>): void;
    access?(path: string, mode: number, cb: Done): void;
    open?(path: string, flags: number, cb: DoneWith<number>): void;
    opendir?(path: string, flags: number, cb: DoneWith<number>): void;
    create?(path: string, mode: number, cb: DoneWith<number>): void;
    utimens?(path: string, atime: number, mtime: number, cb: Done): void;
    release?(path: string, fd: number, cb: Done): void;
    releasedir?(path: string, fd: number, cb: Done): void;
    read?(path: string, fd: number, buffer: Buffer, length: number, position: number, cb: (result: number) => void): void;
    write?(path: string, fd: number, buffer: Buffer, length: number, position: number, cb: (result: number) => void): void;
    readdir?(path: string, cb: (errno: number, names?: string[], stats?: FuseStat[]) => void): void;
    setxattr?(path: string, name: string, value: Buffer, position: number, flags: number, cb: Done): void;
    getxattr?(path: string, name: string, position: number, cb: DoneWith<Buffer | null>): void;
    listxattr?(path: string, cb: DoneWith<string[]>): void;
    removexattr?(path: string, name: string, cb: Done): void;
    flush?(path: string, fd: number, cb: Done): void;
    fsync?(path: string, datasync: boolean, fd: number, cb: Done): void;
    fsyncdir?(path: string, datasync: boolean, fd: number, cb: Done): void;
    truncate?(path: string, size: number, cb: Done): void;
    ftruncate?(path: string, fd: number, size: number, cb: Done): void;
    readlink?(path: string, cb: DoneWith<string>): void;
    chown?(path: string, uid: number, gid: number, cb: Done): void;
    chmod?(path: string, mode: number, cb: Done): void;
    mknod?(path: string, mode: number, dev: number, cb: Done): void;
    unlink?(path: string, cb: Done): void;
    rename?(src: string, dest: string, cb: Done): void;
    link?(src: string, dest: string, cb: Done): void;
    symlink?(target: string, path: string, cb: Done): void;
    mkdir?(path: string, mode: number, cb: Done): void;
    rmdir?(path: string, cb: Done): void;
  }

  /** The calling process of the request being handled (patched; valid during the synchronous part). */
  export interface FuseCaller {
    uid: number;
    gid: number;
    pid: number;
    umask: number;
  }

  export interface FuseConstructorOptions {
    /** Per-operation timeout in ms (fuse-native answers ETIMEDOUT after it), or false for none. */
    timeout?: number | false;
    mkdir?: boolean;
    force?: boolean;
    debug?: boolean;
  }

  export default class Fuse {
    constructor(mnt: string, ops: FuseOps, opts?: FuseConstructorOptions);
    readonly mnt: string;
    mount(cb: (error: Error | null) => void): void;
    unmount(cb: (error: Error | null) => void): void;
    context(): FuseCaller | null;
    /** The "-o a,b,c" string handed to libfuse (overridden by subclasses to pass options explicitly). */
    protected _fuseOptions(): string;
    /** The library's adapters from the native call to ops.getxattr / ops.listxattr (see passthrough-session.ts). */
    protected _op_getxattr(signal: (result: number, buffer: ArrayBuffer) => void, path: string, name: string, valueBuf: Buffer, position: number): void;
    protected _op_listxattr(signal: (result: number, buffer: ArrayBuffer) => void, path: string, listBuf: Buffer): void;
    static unmount(mnt: string, cb: (error: Error | null) => void): void;
    static readonly UTIME_NOW: number;
    static readonly UTIME_OMIT: number;
  }
}
