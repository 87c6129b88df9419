/**
 * Writes a body given in parts (see encodeParts) onto an HTTP/2 stream and ends it. The parts are corked
 * into one writev: written one by one, all but the first waited in the stream's buffer, and when the peer
 * had the whole body and closed the stream before the first write's callback ran, node failed each buffered
 * one with a fresh ERR_STREAM_DESTROYED error (a stack trace captured per part: 7 % of an engine's CPU
 * serving 1 MiB reads).
 */
import type { Http2Stream } from 'node:http2';

export function writeParts(stream: Http2Stream, parts: readonly Buffer[]): void {
  const last = parts.length - 1;
  stream.cork();
  for (let index = 0; index < last; index++) stream.write(parts[index]);
  stream.end(parts[last]); // end() uncorks: the parts leave together
}
