/**
 * Private symbols for hidden fields the client attaches to objects it does not own (HTTP/2 streams and
 * sessions), gathered in one place as undici does in lib/core/symbols.js. Module-level event handlers read
 * these instead of closing over per-call state, which keeps the per-RPC cost down.
 */

/** On a ClientHttp2Stream: the pending call it answers. */
export const kCall = Symbol('tsdaos.client.call');
/** On a ClientHttp2Session: the transport that owns it. */
export const kTransport = Symbol('tsdaos.client.transport');
/** On the ClientHttp2Stream of an rpc_channel: its channel state. */
export const kChannel = Symbol('tsdaos.client.channel');
/** On a ClientHttp2Session: the TCP socket it runs on (destroying the session alone waits for the peer to read). */
export const kSocket = Symbol('tsdaos.client.socket');
