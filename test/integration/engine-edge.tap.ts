/**
 * The engine's edge on a real engine process: malformed, oversized and unknown requests get protocol
 * errors, the engine stays up, and data written before is intact.
 */
import http2 from 'node:http2';
import t from 'tap';
import { ObjType } from '../../engine/client/index.js';
import { RPC_BODY_BYTES_MAX } from '../../engine/constants.js';
import { decode, encode } from '../../engine/wire/codec.js';
import { Der } from '../../engine/wire/errors.js';
import { startTestCluster } from '../harness/local-cluster.js';

const cluster = await startTestCluster({ engines: 1, targets: 2, prefix: 'edge' });
t.teardown(() => cluster.stop());
const address = cluster.up.system.engines[0]!.address;

async function raw(path: string, body: Buffer): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  const session = http2.connect(`http://${address}`);
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': path });
      let status = 0;
      const chunks: Buffer[] = [];
      stream.on('response', (headers) => { status = Number(headers[':status']); });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => resolve({ status, body: chunks.length === 0 ? undefined : decode(Buffer.concat(chunks)) as Record<string, unknown> }));
      stream.on('error', (error) => (status !== 0 ? resolve({ status, body: undefined }) : reject(error)));
      stream.end(body);
    });
  } finally {
    session.close();
  }
}

t.test('malformed requests: protocol errors, engine alive, data intact', async (t) => {
  const pool = await cluster.connect();
  const cont = await pool.openContainer('posix');
  const kv = cont.kv(await cont.allocOid({ type: ObjType.MULTI_LEXICAL, oclass: 'S1' }));
  await kv.put('canary', Buffer.from('still here'));

  const address16 = { pool: pool.uuid, cont: cont.uuid, mapVersion: pool.map.version, target: 0, oid: Buffer.alloc(16), shard: 0 };
  const cases: Array<[string, string, Buffer]> = [
    ['garbage bytes', '/v1/obj_update', Buffer.from([0xc1, 0xff, 0x00, 0x13])],
    ['wrong field type', '/v1/obj_update', encode({ ...address16, dkey: 'string-not-bytes', epoch: 1, iods: [] })],
    ['unknown field', '/v1/obj_fetch', encode({ ...address16, dkey: Buffer.from('d'), epoch: 1, iods: [], surprise: true })],
    ['oversized key', '/v1/obj_update', encode({ ...address16, dkey: Buffer.alloc(64 * 1024 + 1), epoch: 1, iods: [] })],
    ['target out of range', '/v1/obj_fetch', encode({ ...address16, target: 63, dkey: Buffer.from('d'), epoch: 1, iods: [] })],
  ];
  for (const [what, path, body] of cases) {
    const answer = await raw(path, body);
    t.not(answer.status, 200, `${what}: not accepted`);
    t.ok(answer.body !== undefined && typeof answer.body['der'] === 'number', `${what}: error body with a DER code`);
    if (what !== 'target out of range') t.equal(answer.body?.['der'], Der.PROTO, `${what}: DER_PROTO`);
  }
  const unknown = await raw('/v1/no_such_rpc', encode({}));
  t.equal(unknown.body?.['der'], Der.NOSYS, 'unknown opcode: DER_NOSYS');
  const huge = await raw('/v1/obj_update', Buffer.alloc(RPC_BODY_BYTES_MAX + 1));
  t.not(huge.status, 200, 'body over the cap refused');

  t.equal((await kv.get('canary'))?.toString(), 'still here', 'data written before is intact');
  t.equal(cluster.engines.get(0)!.child.exitCode, null, 'engine process still running');
  await kv.put('after', Buffer.from('ok'));
  t.equal((await kv.get('after'))?.toString(), 'ok', 'engine still serves writes');
  await pool.disconnect();
});
