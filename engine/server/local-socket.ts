/**
 * The UNIX socket on which an engine also serves call sockets, for clients on its own host (wire/channel.ts,
 * CALL_SOCKET_PATH_HEADER): `call-<random>.sock` in the engine's directory. The random part names this run
 * of this engine alone, so a client that finds the file is on the engine's host. Files left by earlier runs
 * (a killed engine leaves its own) are removed when the next one starts. A path too long for a UNIX socket
 * address is not used: the port then serves alone.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** sun_path holds 108 bytes with its NUL. */
const SOCKET_PATH_BYTES_MAX = 107;
const SOCKET_NAME = /^call-[0-9a-f]{16}\.sock$/;

/** A fresh socket path in `dir` (the engine's, claimed by this process), or undefined when too long. */
export function localSocketPath(dir: string): string | undefined {
  for (const name of readdirSync(dir)) if (SOCKET_NAME.test(name)) rmSync(join(dir, name), { force: true });
  const path = join(dir, `call-${randomBytes(8).toString('hex')}.sock`);
  return Buffer.byteLength(path) <= SOCKET_PATH_BYTES_MAX ? path : undefined;
}
