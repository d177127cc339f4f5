// Reads a SQLite WAL file the way SQLite's recovery does, to catch the case SQLite is
// silent about: when it opens a database it replays WAL frames up to the first frame that
// fails its checksum (or has the wrong salts) and drops everything after it, committed
// transactions included, without a word. So before the daemon opens the database, this
// looks past the first bad frame: later frames of the same WAL generation whose checksums
// hold and that end a transaction mean committed work would be lost.
//
// A bad frame with nothing committed after it is normal: the torn last write of a crash,
// a transaction that never committed, or frames left from before the WAL was restarted
// (their salts differ). Damage inside the last committed transaction itself looks the same
// as a torn write and cannot be told apart.
//
// Format (https://www.sqlite.org/fileformat2.html#walformat): a 32-byte header (magic
// 0x377f0682 or 0x377f0683, version, page size, checkpoint seq, salt-1, salt-2, checksum-1,
// checksum-2), then frames of a 24-byte header (page number, database size after commit
// or 0, salt-1, salt-2, checksum-1, checksum-2) and one page. Each checksum runs over the
// header's first 24 bytes, or the frame header's first 8 bytes and its page, starting
// from the checksum before it. The magic's low bit says whether the checksum reads its
// 32-bit words big-endian.
import { type BigIntStats, closeSync, fstatSync, openSync, readSync } from "node:fs";

const MAGIC = 0x377f0682;
const HEADER = 32;
const FRAME_HEADER = 24;

export type WalDamage = {
  file: string;
  // The first frame SQLite would not take (1-based), or 0 for the WAL's header.
  badFrame: number;
  // Transactions after it whose frames are sound: SQLite would drop them.
  lostCommits: number;
  frames: number;
};

type Sum = [number, number];

function checksum(buf: Uint8Array, bigEndian: boolean, seed: Sum): Sum {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let [s1, s2] = seed;
  for (let i = 0; i < buf.byteLength; i += 8) {
    s1 = (s1 + view.getUint32(i, !bigEndian) + s2) >>> 0;
    s2 = (s2 + view.getUint32(i + 4, !bigEndian) + s1) >>> 0;
  }
  return [s1, s2];
}

const sameSum = (a: Sum, b: Sum) => a[0] === b[0] && a[1] === b[1];

// undefined when SQLite would lose nothing committed. A WAL another process writes to
// while it is read (a node sharing the database) is not judged: its reading is not a
// snapshot, and the live writer has recovered it already.
export function checkWal(file: string): WalDamage | undefined {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const before = fstatSync(fd, { bigint: true });
    const damage = scan(fd, file, Number(before.size));
    const after = fstatSync(fd, { bigint: true });
    return changed(before, after) ? undefined : damage;
  } finally {
    closeSync(fd);
  }
}

function changed(a: BigIntStats, b: BigIntStats): boolean {
  return a.size !== b.size || a.mtimeNs !== b.mtimeNs;
}

function scan(fd: number, file: string, size: number): WalDamage | undefined {
  if (size < HEADER) return undefined;
  const header = new Uint8Array(HEADER);
  readSync(fd, header, 0, HEADER, 0);
  const h = new DataView(header.buffer);
  const magic = h.getUint32(0);
  const pageSize = h.getUint32(8);
  if ((magic & ~1) !== MAGIC || pageSize < 512 || pageSize > 65536 || pageSize & (pageSize - 1)) {
    // Not a WAL SQLite can read: it would start a new one over it.
    return header.some((b) => b !== 0) && size > HEADER
      ? { file, badFrame: 0, lostCommits: 0, frames: 0 }
      : undefined;
  }
  const bigEndian = (magic & 1) === 1;
  const stored = (view: DataView, at: number): Sum => [
    view.getUint32(at),
    view.getUint32(at + 4),
  ];
  const headerOk = sameSum(checksum(header.subarray(0, 24), bigEndian, [0, 0]), stored(h, 24));

  const frameSize = FRAME_HEADER + pageSize;
  const frames = Math.floor((size - HEADER) / frameSize);
  const frame = new Uint8Array(frameSize);
  const f = new DataView(frame.buffer);
  // The generation's salts: the header's, or if the header is damaged, the first frame's.
  let salts = header.slice(16, 24);
  if (!headerOk && frames > 0) {
    readSync(fd, frame, 0, frameSize, HEADER);
    salts = frame.slice(8, 16);
  }
  // SQLite's first frame that it would not take: 0 for the header, else 1-based.
  let bad = headerOk ? undefined : 0;
  let lostCommits = 0;
  let previous = stored(h, 24);
  for (let i = 0; i < frames; i++) {
    readSync(fd, frame, 0, frameSize, HEADER + i * frameSize);
    const ownSum = stored(f, 16);
    const sound = f.getUint32(0) !== 0 &&
      frame.subarray(8, 16).every((b, k) => b === salts[k]) &&
      sameSum(
        checksum(
          frame.subarray(FRAME_HEADER),
          bigEndian,
          checksum(frame.subarray(0, 8), bigEndian, previous),
        ),
        ownSum,
      );
    previous = ownSum;
    if (bad === undefined) {
      if (!sound) bad = i + 1;
    } else if (sound && f.getUint32(4) !== 0) {
      lostCommits++;
    }
  }
  return bad !== undefined && lostCommits > 0
    ? { file, badFrame: bad, lostCommits, frames }
    : undefined;
}
