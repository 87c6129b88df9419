/**
 * A naive in-memory model of VOS read semantics, for property tests: it keeps every update and punch in
 * arrival order and answers reads by brute force (per record, newest covering extent wins; a punch hides
 * everything of its subtree ordered before it, for reads at epochs >= its epoch). Deliberately simple and
 * slow; it must never share code with the store it checks. Test-only; product code never imports it.
 */
import type { ObjectRef, PunchOp, UpdateOp } from './operation.js';

interface ModelStamp {
  epoch: number;
  seq: number;
}

interface ModelWrite extends ModelStamp {
  object: string;
  dkey: string;
  akey: string;
  /** Single value, or one extent's data (null: extent punch). */
  single: boolean;
  lo: number;
  hi: number;
  data: Buffer | null;
  recordSize: number;
}

interface ModelPunch extends ModelStamp {
  object: string;
  dkey: string | null;
  akey: string | null;
}

function objectName(ref: ObjectRef): string {
  return `${ref.cont}|${ref.oid.toString('hex')}|${ref.shard}`;
}

function after(a: ModelStamp, b: ModelStamp | null): boolean {
  return b === null || a.epoch > b.epoch || (a.epoch === b.epoch && a.seq > b.seq);
}

export class ReferenceModel {
  private readonly writes: ModelWrite[] = [];
  private readonly punches: ModelPunch[] = [];
  private seq = 0;

  update(op: UpdateOp): void {
    const object = objectName(op);
    const dkey = op.dkey.toString('hex');
    for (const iod of op.iods) {
      const akey = iod.akey.toString('hex');
      const base = { object, dkey, akey, epoch: op.epoch as number };
      if (iod.type === 'single') {
        this.writes.push({ ...base, seq: ++this.seq, single: true, lo: 0, hi: 0, data: Buffer.from(iod.value), recordSize: 0 });
        continue;
      }
      let offset = 0;
      for (const extent of iod.extents) {
        const length = extent.count * iod.recordSize;
        const data = iod.data === null ? null : Buffer.from(iod.data.subarray(offset, offset + length));
        offset += length;
        this.writes.push({
          ...base, seq: ++this.seq, single: false, lo: extent.index, hi: extent.index + extent.count, data, recordSize: iod.recordSize,
        });
      }
    }
  }

  punch(op: PunchOp): void {
    const object = objectName(op);
    const dkey = op.dkey?.toString('hex') ?? null;
    const akeys = op.akeys?.map((akey) => akey.toString('hex')) ?? [null];
    for (const akey of akeys) this.punches.push({ object, dkey, akey, epoch: op.epoch, seq: ++this.seq });
  }

  /** The single value visible at `epoch`, or null. */
  fetchSingle(ref: ObjectRef, dkey: Buffer, akey: Buffer, epoch: number): Buffer | null {
    const newest = this.newestWrite(ref, dkey, akey, epoch, () => true);
    if (newest === null || !newest.single) return null;
    return after(newest, this.cover(ref, dkey, akey, epoch)) ? newest.data : null;
  }

  /** Records [index, index + count) at `epoch`; holes and punched records are zeros. */
  fetchArray(ref: ObjectRef, dkey: Buffer, akey: Buffer, epoch: number, recordSize: number, index: number, count: number): Buffer {
    const out = Buffer.alloc(count * recordSize);
    const cover = this.cover(ref, dkey, akey, epoch);
    for (let record = index; record < index + count; record++) {
      const winner = this.newestWrite(ref, dkey, akey, epoch, (w) => !w.single && w.lo <= record && record < w.hi);
      if (winner === null || winner.data === null || !after(winner, cover)) continue;
      winner.data.copy(out, (record - index) * recordSize, (record - winner.lo) * recordSize, (record - winner.lo + 1) * recordSize);
    }
    return out;
  }

  /** dkeys visible at `epoch`, in byte order. */
  listDkeys(ref: ObjectRef, epoch: number): Buffer[] {
    const dkeys = new Set(this.writes.filter((w) => w.object === objectName(ref)).map((w) => w.dkey));
    return [...dkeys]
      .map((hex) => Buffer.from(hex, 'hex'))
      .filter((dkey) => this.listAkeys(ref, dkey, epoch).length > 0)
      .sort(Buffer.compare);
  }

  /** akeys of `dkey` visible at `epoch`, in byte order. */
  listAkeys(ref: ObjectRef, dkey: Buffer, epoch: number): Buffer[] {
    const object = objectName(ref);
    const akeys = new Set(this.writes.filter((w) => w.object === object && w.dkey === dkey.toString('hex')).map((w) => w.akey));
    return [...akeys]
      .map((hex) => Buffer.from(hex, 'hex'))
      .filter((akey) => {
        const newest = this.newestWrite(ref, dkey, akey, epoch, () => true);
        return newest !== null && after(newest, this.cover(ref, dkey, akey, epoch));
      })
      .sort(Buffer.compare);
  }

  /** Greatest dkey with visible array data for `akey`, and the end of that data. */
  queryMax(ref: ObjectRef, akey: Buffer, epoch: number): { dkey: Buffer | null; end: number } {
    const object = objectName(ref);
    const dkeys = [...new Set(this.writes.filter((w) => w.object === object).map((w) => w.dkey))]
      .map((hex) => Buffer.from(hex, 'hex'))
      .sort(Buffer.compare)
      .reverse();
    for (const dkey of dkeys) {
      const cover = this.cover(ref, dkey, akey, epoch);
      const extents = this.writes.filter((w) => w.object === object && w.dkey === dkey.toString('hex') &&
        w.akey === akey.toString('hex') && !w.single);
      const top = extents.reduce((max, w) => Math.max(max, w.hi), 0);
      for (let record = top - 1; record >= 0; record--) {
        const winner = this.newestWrite(ref, dkey, akey, epoch, (w) => !w.single && w.lo <= record && record < w.hi);
        if (winner !== null && winner.data !== null && after(winner, cover)) return { dkey, end: record + 1 };
      }
    }
    return { dkey: null, end: 0 };
  }

  private newestWrite(ref: ObjectRef, dkey: Buffer, akey: Buffer, epoch: number, match: (w: ModelWrite) => boolean): ModelWrite | null {
    const object = objectName(ref);
    let newest: ModelWrite | null = null;
    for (const w of this.writes) {
      if (w.object !== object || w.dkey !== dkey.toString('hex') || w.akey !== akey.toString('hex')) continue;
      if (w.epoch > epoch || !match(w)) continue;
      if (newest === null || after(w, newest)) newest = w;
    }
    return newest;
  }

  private cover(ref: ObjectRef, dkey: Buffer, akey: Buffer, epoch: number): ModelStamp | null {
    const object = objectName(ref);
    let cover: ModelStamp | null = null;
    for (const p of this.punches) {
      if (p.object !== object || p.epoch > epoch) continue;
      if (p.dkey !== null && p.dkey !== dkey.toString('hex')) continue;
      if (p.akey !== null && p.akey !== akey.toString('hex')) continue;
      if (after(p, cover)) cover = p;
    }
    return cover;
  }
}
