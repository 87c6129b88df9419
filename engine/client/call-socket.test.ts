/**
 * The client's call socket against a hand-made engine stand-in (a plain TCP server): answer frames cut at
 * any byte are put together, answers are matched by id in any order, a malformed frame or the engine
 * ending the socket fails every call waiting on it, a forgotten call's late answer is dropped, and destroy()
 * ends a socket whose engine never answers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CALL_SOCKET_PREFACE, decodeCall, encodeAnswer, FrameReader, SOCKET_CALL_PAYLOAD_BYTES_MAX } from '../wire/channel.js';
import { Der, EngineError } from '../wire/errors.js';
import { CallSocket, type SocketPending } from './call-socket.js';

type Serve = (socket: net.Socket, call: { id: number; opcode: string; body: Buffer }) => void;

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();

/** A stand-in engine: checks the preface, then hands each call frame to `serve`; on `path` (a UNIX socket) if given. */
async function standIn(serve: Serve, path?: string): Promise<{ address: string; prefaces: Buffer[] }> {
  const prefaces: Buffer[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const reader = new FrameReader(SOCKET_CALL_PAYLOAD_BYTES_MAX);
    let head = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (head.length < CALL_SOCKET_PREFACE.length) {
        head = Buffer.concat([head, chunk]);
        if (head.length < CALL_SOCKET_PREFACE.length) return;
        prefaces.push(head.subarray(0, CALL_SOCKET_PREFACE.length));
        chunk = head.subarray(CALL_SOCKET_PREFACE.length);
      }
      reader.push(chunk);
      for (let payload = reader.next(); payload !== undefined; payload = reader.next()) serve(socket, decodeCall(payload, SOCKET_CALL_PAYLOAD_BYTES_MAX));
    });
    socket.on('error', () => undefined);
  });
  servers.push(server);
  if (path !== undefined) {
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return { address: '127.0.0.1:1', prefaces };
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, prefaces };
}

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A pending call as a promise of [status, body] or the DER it failed with. */
function pending(): { callbacks: SocketPending; settled: Promise<[number, Buffer] | number> } {
  let callbacks!: SocketPending;
  const settled = new Promise<[number, Buffer] | number>((resolve) => {
    callbacks = { answer: (status, body) => resolve([status, body]), fail: (error: EngineError) => resolve(error.der) };
  });
  return { callbacks, settled };
}

describe('call socket', () => {
  it('answers cut at every byte and sent out of order -> each call gets its own body', async () => {
    const bodies = new Map([[1, Buffer.alloc(300_000, 1)], [2, Buffer.from('two')], [3, Buffer.alloc(5, 3)]]);
    const received: number[] = [];
    const { address, prefaces } = await standIn((socket, call) => {
      received.push(call.id);
      if (received.length < 3) return;
      // All three answers, last call first, written one byte at a time for the small ones.
      const frames = [3, 2, 1].map((id) => encodeAnswer(id, id === 2 ? 409 : 200, [bodies.get(id)!]));
      const bytes = Buffer.concat(frames);
      const small = frames[0]!.length + frames[1]!.length;
      for (let at = 0; at < small; at++) socket.write(bytes.subarray(at, at + 1));
      socket.write(bytes.subarray(small));
    });
    const socket = new CallSocket(address, undefined, () => undefined);
    const calls = [1, 2, 3].map((id) => {
      const call = pending();
      socket.send(id, 'obj_fetch', [Buffer.from([id])], call.callbacks);
      return call.settled;
    });
    const answers = await Promise.all(calls);
    expect(answers.map((answer, index) => typeof answer === 'number' ? answer : [answer[0], answer[1].equals(bodies.get(index + 1)!)]))
      .toEqual([[200, true], [409, true], [200, true]]);
    expect(prefaces).toEqual([CALL_SOCKET_PREFACE]);
    await socket.end();
  });

  it('large answers (past the shared read buffer) between small ones, cut at odd places -> every body intact', async () => {
    // Sizes around 64 KiB and past the shared read buffer (1 MiB).
    const sizes = [2 << 20, 7, (1 << 20) + 3, 70_000, 65_535, 1, 65_536 + 9];
    const bodies = sizes.map((size, index) => Buffer.from(Array.from({ length: size }, (_, at) => (at * 31 + index * 7) & 0xff)));
    const { address } = await standIn((socket, call) => {
      if (call.id !== sizes.length) return;
      const bytes = Buffer.concat(bodies.map((body, index) => encodeAnswer(index + 1, 200, [body])));
      // Written in uneven pieces with pauses, so reads end inside headers and payloads alike.
      const cuts = [3, 5, 40_000, 17, 1_000_000, 2_000_003, 99, 123_456];
      let at = 0;
      const next = (turn: number): void => {
        if (at >= bytes.length) return;
        const end = Math.min(bytes.length, at + cuts[turn % cuts.length]!);
        socket.write(bytes.subarray(at, end));
        at = end;
        setTimeout(() => next(turn + 1), 1);
      };
      next(0);
    });
    const socket = new CallSocket(address, undefined, () => undefined);
    const calls = sizes.map((_, index) => {
      const call = pending();
      socket.send(index + 1, 'obj_fetch', [Buffer.from([index])], call.callbacks);
      return call.settled;
    });
    const answers = await Promise.all(calls);
    expect(answers.map((answer, index) => typeof answer === 'number' ? answer : answer[1].equals(bodies[index]!))).toEqual(sizes.map(() => true));
    await socket.end();
  });

  it('a malformed answer frame -> every waiting call fails PROTO and the owner drops the socket', async () => {
    const { address } = await standIn((socket, call) => {
      if (call.id === 2) socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    });
    let gone = 0;
    const socket = new CallSocket(address, undefined, () => gone++);
    const [one, two] = [pending(), pending()];
    socket.send(1, 'obj_fetch', [Buffer.alloc(1)], one.callbacks);
    socket.send(2, 'obj_fetch', [Buffer.alloc(1)], two.callbacks);
    expect([await one.settled, await two.settled, gone]).toEqual([Der.PROTO, Der.PROTO, 1]);
    const late = pending();
    socket.send(3, 'obj_fetch', [Buffer.alloc(1)], late.callbacks);
    expect(await late.settled).toBe(Der.UNREACH);
  });

  it('the engine ending the socket, or no engine at all -> UNREACH; a forgotten call\'s answer is dropped', async () => {
    const { address } = await standIn((socket, call) => {
      if (call.id === 1) setTimeout(() => socket.write(encodeAnswer(1, 200, [Buffer.from('late')])), 50);
      if (call.id === 2) setTimeout(() => socket.write(encodeAnswer(2, 200, [Buffer.from('ok')])), 100);
      if (call.id === 3) socket.end();
    });
    const socket = new CallSocket(address, undefined, () => undefined);
    const answered = pending();
    let forgottenHeard = false;
    socket.send(1, 'obj_fetch', [Buffer.alloc(1)], { answer: () => { forgottenHeard = true; }, fail: () => { forgottenHeard = true; } });
    socket.forget(1);
    socket.send(2, 'obj_fetch', [Buffer.alloc(1)], answered.callbacks);
    expect(await answered.settled).toEqual([200, Buffer.from('ok')]);
    expect(forgottenHeard).toBe(false);
    const ended = pending();
    socket.send(3, 'obj_fetch', [Buffer.alloc(1)], ended.callbacks);
    expect(await ended.settled).toBe(Der.UNREACH);
    const nobody = await standIn(() => undefined);
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const refused = pending();
    new CallSocket(nobody.address, undefined, () => undefined).send(1, 'obj_fetch', [Buffer.alloc(1)], refused.callbacks);
    expect(await refused.settled).toBe(Der.UNREACH);
  });

  it('end() waits for the calls still waiting; an engine that never answers holds it until destroy(), which fails them SHUTDOWN', async () => {
    const { address } = await standIn(() => undefined);
    const socket = new CallSocket(address, undefined, () => undefined);
    const unanswered = pending();
    socket.send(1, 'obj_fetch', [Buffer.alloc(1)], unanswered.callbacks);
    let ended = false;
    const end = socket.end().then(() => {
      ended = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ended).toBe(false);
    socket.destroy();
    expect(await unanswered.settled).toBe(Der.SHUTDOWN);
    await end;
    expect(ended).toBe(true);
  });

  it('through a UNIX socket path: the same frames (the port is not used); a path nobody serves -> the port, with the calls already sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsdaos-call-socket-'));
    try {
      const path = join(dir, 'call.sock');
      const { address, prefaces } = await standIn((socket, call) => socket.write(encodeAnswer(call.id, 200, [Buffer.concat([Buffer.from('echo:'), call.body])])), path);
      const socket = new CallSocket(address, path, () => undefined);
      const call = pending();
      socket.send(7, 'obj_fetch', [Buffer.from('abc')], call.callbacks);
      expect(await call.settled).toEqual([200, Buffer.from('echo:abc')]);
      expect(prefaces).toEqual([CALL_SOCKET_PREFACE]);
      expect(socket.connected).toBe(true);
      await socket.end();
      const port = await standIn((socket, call) => socket.write(encodeAnswer(call.id, 200, [Buffer.concat([Buffer.from('port:'), call.body])])));
      let toPort = 0;
      const stale = new CallSocket(port.address, join(dir, 'gone.sock'), () => undefined, () => toPort++);
      const calls = [pending(), pending()];
      stale.send(1, 'obj_fetch', [Buffer.from('one')], calls[0]!.callbacks);
      stale.send(2, 'obj_fetch', [Buffer.from('two')], calls[1]!.callbacks);
      expect(await Promise.all(calls.map((call) => call.settled))).toEqual([[200, Buffer.from('port:one')], [200, Buffer.from('port:two')]]);
      expect([toPort, stale.path, stale.connected, port.prefaces.length]).toEqual([1, undefined, true, 1]);
      await stale.end();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
