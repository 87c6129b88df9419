/**
 * Every limit of the DFS library, in one place, with the relationships between them asserted. POSIX
 * limits (names, paths, symlink depth, xattrs) follow Linux; concurrency bounds keep each call's fan-out
 * (readdirplus stats, recursive removes, vectored I/O) from growing with the size of a directory or request.
 */
import assert from 'node:assert/strict';
import { IODS_PER_RPC_MAX, KEY_BYTES_MAX, LIST_KEYS_PER_RPC_MAX, VALUE_BYTES_MAX } from '../engine/constants.js';

/** One path component (NAME_MAX). */
export const NAME_BYTES_MAX = 255;
/** A whole path or symlink target (PATH_MAX). */
export const PATH_BYTES_MAX = 4096;
/** Symlinks followed while resolving one path before ELOOP (Linux MAXSYMLINKS). */
export const SYMLINK_FOLLOW_MAX = 40;
/** Extended attribute name and value (Linux XATTR_NAME_MAX, XATTR_SIZE_MAX). */
export const XATTR_NAME_BYTES_MAX = 255;
export const XATTR_VALUE_BYTES_MAX = 64 * 1024;
/** Default file chunk size when neither mkfs nor the container names one. */
export const CHUNK_SIZE_BYTES_DEFAULT = 1024 * 1024;
/** Entries one readdir call returns at most. */
export const READDIR_ENTRIES_MAX = LIST_KEYS_PER_RPC_MAX;
/** Akeys readdirplus asks for with each entry (inode, symlink, xattrs); an entry with more has its xattr names unknown. */
export const READDIRPLUS_ENTRY_AKEYS_MAX = 16;
/** Concurrent per-group probes of one directory object (the emptiness check of rmdir and rename). */
export const GROUP_PROBES_IN_FLIGHT_MAX = 64;
/** Concurrent child removals of one recursive remove (per directory level). */
export const REMOVE_IN_FLIGHT_MAX = 16;
/**
 * Removed entries' objects are punched after the remove answered (object-reaper.ts): those of REAP_DELAY_MS
 * together, in batches of REAP_BATCH_MAX (one RPC per engine each); should a batch fail, its objects one by
 * one, REAP_IN_FLIGHT_MAX at once, each failing with an engine error tried REAP_ATTEMPTS_MAX times,
 * REAP_RETRY_MS times the attempt apart.
 */
export const REAP_DELAY_MS = 10;
export const REAP_BATCH_MAX = 256;
export const REAP_IN_FLIGHT_MAX = 64;
export const REAP_ATTEMPTS_MAX = 3;
export const REAP_RETRY_MS = 200;
/** Concurrent segments of one vectored read or write. */
export const IO_SEGMENTS_IN_FLIGHT_MAX = 8;
/** Object handles one mount keeps open at once (ENFILE beyond). */
export const OPEN_OBJECTS_MAX = 1 << 20;
/** Attempts of a relaxed-mode rename that lost a race (conditional insert/update failed) before EBUSY. */
export const RENAME_ATTEMPTS_MAX = 8;
/** Akeys of one entry read or written per RPC when a rename copies an entry with its xattrs. */
export const ENTRY_IODS_PER_RPC_MAX = 128;
/** Akeys listed per RPC (an entry's xattrs). */
export const AKEYS_PER_LIST_MAX = 1024;
/** Largest file offset + length (JS numbers are exact below 2^53). */
export const FILE_BYTES_MAX = Number.MAX_SAFE_INTEGER;

assert.ok(NAME_BYTES_MAX < KEY_BYTES_MAX, 'a name is one dkey');
assert.ok(XATTR_NAME_BYTES_MAX + 2 < KEY_BYTES_MAX, "'x:' + name is one akey");
assert.ok(XATTR_VALUE_BYTES_MAX <= VALUE_BYTES_MAX);
assert.ok(PATH_BYTES_MAX <= VALUE_BYTES_MAX, 'a symlink target is one single value');
assert.ok(READDIR_ENTRIES_MAX <= LIST_KEYS_PER_RPC_MAX);
assert.ok(NAME_BYTES_MAX < PATH_BYTES_MAX);
assert.ok(ENTRY_IODS_PER_RPC_MAX <= IODS_PER_RPC_MAX);
assert.ok(AKEYS_PER_LIST_MAX <= LIST_KEYS_PER_RPC_MAX);
