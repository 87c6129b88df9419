/**
 * The msgpack codec for every RPC body (msgpackr). Binary fields travel as msgpack bin, never base64;
 * integers up to 2^53 round-trip exactly as numbers. Objects are plain maps (no msgpackr records), so a
 * peer in another language could speak the protocol.
 */
import { Packr } from 'msgpackr';

const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  encodeUndefinedAsNil: true,
  int64AsType: 'number',
  moreTypes: false,
});

export function encode(value: unknown): Buffer {
  return packr.pack(value);
}

/** Decodes one msgpack value; a malformed body throws (the caller turns that into Der.PROTO). */
export function decode(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
