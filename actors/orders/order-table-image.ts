import type { Order } from './order-state.js';
import { ByteReader, ByteWriter, readOrder, writeOrder, PackStrings } from './closed-pack.js';
import { Frozen } from './order-table-capture.js';

/** Format version of {@link OrderTableImage} (named in the snapshot's JSON next to the image). */
export const ORDER_TABLE_IMAGE_VERSION = 1;

/**
 * The order table as one binary image, for a journal snapshot (issue 13): the packed closed
 * orders are written as the bytes the {@link ClosedTable} already holds (copied once at capture,
 * one memory copy for the whole window), and only the orders held as objects (open ones and the
 * newest `hotClosed` closed ones) are encoded, with the same binary record as a packed order
 * (`writeOrder`), a slice per event-loop turn. Before this, a snapshot rendered every order,
 * closed ones included, to JSON text: an order was unpacked and rendered ~1.2 times over its life
 * at 10k orders/s (`renderSlice`, ~24 % of the order table's CPU). A closed order never changes,
 * so its record is the capture; an open order is captured as a {@link Frozen} copy of what can
 * still change (see order-table-capture.ts), so the image is the table as of the capture's
 * instant however long rendering takes.
 *
 * Layout (`ByteWriter` encodings: `uvar` unsigned LEB128, `str` length + UTF-8, `id` see
 * closed-pack.ts):
 * - strings: `uvar n`, n × `str`: the pack string table the records refer to by number;
 * - packed: `uvar count`, `uvar bytes`, then `count` records back to back, each `id(clientOrderId)`
 *   then `writeOrder` (oldest closed first);
 * - objects: `uvar count`, then per order `id(clientOrderId)` then `writeOrder` (insertion order);
 * - hot: `uvar count`, count × `str`: client order ids of the closed orders held as objects, in
 *   closing order (they follow the packed ones in closing order).
 */
export class OrderTableImage {
  private readonly pieces: Buffer[] = [];
  private next = 0;
  private readonly w = new ByteWriter(4096);

  /** Use `OrderStore.captureImage()`. */
  constructor(
    private readonly packedCount: number,
    private readonly packed: Uint8Array,
    private readonly items: (Order | Frozen)[],
    private readonly hot: readonly string[],
    private readonly strings: PackStrings,
  ) {}

  /** Encodes up to `max` more of the orders held as objects into one piece; true once all are. */
  renderSlice(max: number): boolean {
    const end = Math.min(this.items.length, this.next + max);
    if (end > this.next) {
      const w = this.w;
      w.pos = 0;
      for (let i = this.next; i < end; i++) {
        const it = this.items[i]!;
        const o = it instanceof Frozen ? it.order() : it;
        w.id(o.clientOrderId);
        writeOrder(w, o, this.strings);
        this.items[i] = undefined as unknown as Order; // let the captured copy go
      }
      this.pieces.push(Buffer.from(w.buf.subarray(0, w.pos)));
      this.next = end;
    }
    return end === this.items.length;
  }

  /** The image as pieces in order (their concatenation is the image); encodes what is left. */
  buffers(): Buffer[] {
    this.renderSlice(Infinity);
    // The string table last seen: records encoded before only refer to numbers below its size.
    const head = new ByteWriter(256);
    const n = this.strings.size;
    head.uvar(n);
    for (let i = 0; i < n; i++) head.str(this.strings.at(i));
    head.uvar(this.packedCount);
    head.uvar(this.packed.length);
    const mid = new ByteWriter(16);
    mid.uvar(this.items.length);
    const tail = new ByteWriter(256);
    tail.uvar(this.hot.length);
    for (const id of this.hot) tail.str(id);
    const bytes = (w: ByteWriter): Buffer => Buffer.from(w.buf.buffer, w.buf.byteOffset, w.pos);
    return [bytes(head), Buffer.from(this.packed.buffer, this.packed.byteOffset, this.packed.length), bytes(mid), ...this.pieces, bytes(tail)];
  }
}

/** What an image holds, read back by {@link readOrderTableImage}. */
export interface OrderTableImageVisitor {
  /** A packed closed order, oldest closed first. */
  packed(o: Order): void;
  /** An order held as an object, in insertion order. */
  object(o: Order): void;
}

/**
 * Reads an image written by {@link OrderTableImage} (fresh, equal orders), calls the visitor per
 * order and returns the hot closed ids in closing order. Throws a `RangeError` when the bytes do not
 * hold exactly one image (the snapshot's CRC passed, so that is a bug, not damage).
 */
export function readOrderTableImage(bytes: Uint8Array, v: OrderTableImageVisitor): string[] {
  const r = new ByteReader(bytes, 0);
  const strings = new PackStrings();
  for (let n = r.uvar(), i = 0; i < n; i++) {
    const s = r.str();
    if (strings.id(s) !== i) throw new RangeError(`order table image: string #${i} repeats an earlier one`);
  }
  const packedCount = r.uvar();
  const packedBytes = r.uvar();
  const packedEnd = r.pos + packedBytes;
  for (let i = 0; i < packedCount; i++) v.packed(readOrder(r.id()!, r, strings));
  if (r.pos !== packedEnd) throw new RangeError(`order table image: packed records end at byte ${r.pos}, ${packedEnd} expected`);
  for (let n = r.uvar(), i = 0; i < n; i++) v.object(readOrder(r.id()!, r, strings));
  const hot: string[] = [];
  for (let n = r.uvar(), i = 0; i < n; i++) hot.push(r.str());
  if (r.pos !== bytes.length) throw new RangeError(`order table image: ${bytes.length - r.pos} bytes after its end`);
  return hot;
}
