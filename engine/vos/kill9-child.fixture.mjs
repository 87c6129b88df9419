// Child process for the kill -9 durability test (persistence.test.ts). Writes forever and prints
// "ack <i>" on stdout after update i has returned (or its batch committed); the parent SIGKILLs it at a
// random moment and checks that every acknowledged update survived. Plain .mjs because Node 20 cannot
// import .ts: it uses the compiled store in dist/ (npm test builds first).
// argv: <dir> <first index>
import { VosTarget } from '../../dist/engine/vos/index.js';

const [dir, firstArg] = process.argv.slice(2);
const first = Number(firstArg);
const HOT_KEYS = 50;
const ref = { cont: 'kill9-cont', oid: Buffer.alloc(16, 1), shard: 0 };

/** Deterministic value of write i: its index in the first 8 bytes, then a pattern; every 4th is >= 4 KiB. */
function valueOf(i) {
  const length = i % 4 === 0 ? 4096 + ((i * 37) % 9000) : 8 + ((i * 13) % 200);
  const value = Buffer.alloc(length);
  for (let b = 8; b < length; b++) value[b] = (i * 31 + b) & 0xff;
  value.writeDoubleBE(i, 0);
  return value;
}

function logUpdate(i) {
  return { ...ref, dkey: Buffer.from(`log-${i}`), epoch: i + 1, iods: [{ akey: Buffer.from('v'), type: 'single', value: valueOf(i) }] };
}

function hotUpdate(i) {
  const data = valueOf(i);
  const records = Math.floor(data.length / 8);
  return {
    ...ref,
    dkey: Buffer.from(`hot-${i % HOT_KEYS}`),
    epoch: i + 1,
    iods: [
      { akey: Buffer.from('v'), type: 'single', value: data },
      { akey: Buffer.from('arr'), type: 'array', recordSize: 8, extents: [{ index: 0, count: records }], data: data.subarray(0, records * 8) },
    ],
  };
}

const vos = VosTarget.open({ dir });
let i = first;
for (let step = 0; ; step++) {
  if (step % 3 === 0) {
    // A batch: three log writes commit together, then all three are acknowledged.
    const batch = [i, i + 1, i + 2];
    const results = vos.runBatch(batch.map((n) => () => vos.update(logUpdate(n))));
    if (!results.every((result) => result.ok)) throw new Error('batch op failed');
    for (const n of batch) process.stdout.write(`ack log ${n}\n`);
    i += 3;
  } else if (step % 3 === 1) {
    vos.update(hotUpdate(i));
    process.stdout.write(`ack hot ${i}\n`);
    i += 1;
  } else {
    vos.update(logUpdate(i));
    process.stdout.write(`ack log ${i}\n`);
    i += 1;
  }
  // Aggregation frees overwritten hot values, so crashes also hit free-list reuse.
  if (step % 50 === 49) vos.aggregate({ retained: [], upTo: i });
}
