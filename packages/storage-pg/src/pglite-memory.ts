import type { PGlite } from '@electric-sql/pglite';

/** Below this, an in-memory file's storage doubles when it fills; above, it grows by this much at a time. */
const GROWTH_STEP_BYTES = 64 * 1024 * 1024;

/** A file whose storage grows past this size moves to a buffer that grows in place. */
const IN_PLACE_FROM_BYTES = 1024 * 1024;

/**
 * The most an in-place buffer can grow to (address space reserved, not memory): above PostgreSQL's 1 GiB
 * relation segment, the largest file it writes. A file growing past it goes back to copying.
 */
const IN_PLACE_MAX_BYTES = 1024 * 1024 * 1024 + GROWTH_STEP_BYTES;

/** A file of Emscripten's in-memory file system (MEMFS): its storage and how much of it the file uses. */
interface MemoryFileNode {
  contents: Uint8Array | null;
  usedBytes: number;
}

/** The part of MEMFS that sizes a file's storage. */
interface MemoryFileSystem {
  /** Makes room for at least `neededBytes` (a write past the end). */
  expandFileStorage(node: MemoryFileNode, neededBytes: number): void;
  /** Sets the file's size (`ftruncate`, and PGlite's `fallocate`), the new bytes zero. */
  resizeFileStorage(node: MemoryFileNode, sizeBytes: number): void;
  getFileDataAsTypedArray(node: MemoryFileNode): Uint8Array;
}

/** `ArrayBuffer` with the resizable-buffer API (ES2024; Node 20 has it). */
interface ResizableArrayBuffer extends ArrayBuffer {
  readonly resizable?: boolean;
  readonly maxByteLength?: number;
  resize?(byteLength: number): void;
}

type ResizableArrayBufferConstructor = new (byteLength: number, options: { maxByteLength: number }) => ResizableArrayBuffer;

function memoryFileSystemOf(database: PGlite): MemoryFileSystem | undefined {
  const memfs = (database as unknown as { mod?: { MEMFS?: Partial<MemoryFileSystem> } }).mod?.MEMFS;
  return typeof memfs?.expandFileStorage === 'function' && typeof memfs.resizeFileStorage === 'function' && typeof memfs.getFileDataAsTypedArray === 'function'
    ? (memfs as MemoryFileSystem)
    : undefined;
}

/** The resizable buffer under a file's storage, if it has one (its view then tracks the buffer's length). */
function resizableBufferOf(contents: Uint8Array | null): ResizableArrayBuffer | undefined {
  const buffer = contents?.buffer as ResizableArrayBuffer | undefined;
  return buffer?.resizable === true && typeof buffer.resize === 'function' ? buffer : undefined;
}

/** A length-tracking view over a new resizable buffer of `byteLength`, or `undefined` where the runtime cannot reserve one. */
function resizableStorage(byteLength: number): Uint8Array | undefined {
  try {
    const buffer = new (ArrayBuffer as unknown as ResizableArrayBufferConstructor)(byteLength, { maxByteLength: IN_PLACE_MAX_BYTES });
    return buffer.resizable === true ? new Uint8Array(buffer) : undefined;
  } catch {
    return undefined;
  }
}

/** The capacity to grow to for `neededBytes`: double up to {@link GROWTH_STEP_BYTES}, then that much at a time. */
function grownCapacity(capacity: number, neededBytes: number): number {
  return Math.max(neededBytes, capacity + Math.min(Math.max(capacity, 256), GROWTH_STEP_BYTES));
}

/**
 * Makes room for `neededBytes` in a file's storage; bytes past what the file uses stay zero. A file past
 * {@link IN_PLACE_FROM_BYTES} moves once to a resizable buffer and then grows in place (no copy); a small
 * file, or where no such buffer can be had, is copied into a larger array.
 */
function ensureCapacity(memfs: MemoryFileSystem, node: MemoryFileNode, neededBytes: number): void {
  const capacity = node.contents?.length ?? 0;
  if (capacity >= neededBytes) return;
  const grown = grownCapacity(capacity, neededBytes);
  const resizable = resizableBufferOf(node.contents);
  if (resizable !== undefined && neededBytes <= (resizable.maxByteLength ?? 0)) {
    resizable.resize!(Math.min(grown, resizable.maxByteLength!));
    return;
  }
  const used = memfs.getFileDataAsTypedArray(node);
  const storage = (grown > IN_PLACE_FROM_BYTES && grown <= IN_PLACE_MAX_BYTES ? resizableStorage(grown) : undefined) ?? new Uint8Array(grown);
  storage.set(used);
  node.contents = storage;
}

/**
 * Makes the in-memory files of a PGlite instance grow without copying themselves over and over. Emscripten's
 * MEMFS grows a file past 1 MB by an eighth, copying the whole file into a new array each time; and PGlite's
 * `fallocate` (PostgreSQL extends a relation by many blocks at once, e.g. under COPY) truncates the file to
 * the larger size, which copies the whole file into an array of exactly that size every time: a table of a
 * few hundred MB is copied tens to hundreds of times as it fills. Here a file's storage doubles up to 64 MB,
 * then grows 64 MB at a time, and past 1 MB it is a resizable `ArrayBuffer` (up to just over PostgreSQL's
 * 1 GiB segment, address space reserved, memory used only as the file grows) that grows in place: each byte
 * is copied at most once. Truncating keeps the invariant MEMFS relies on: storage past the file's end is zero.
 * Any instance, the store's own or a caller's: only files held in memory are MEMFS nodes (all of them in memory;
 * with a data directory, those outside it, e.g. the files COPY reads); and only if that part of PGlite is where
 * this version of it keeps it; otherwise nothing changes. Applying it twice changes nothing more.
 * @internal
 */
export function growMemoryFilesInLargerSteps(database: PGlite): void {
  const memfs = memoryFileSystemOf(database);
  if (memfs === undefined) return;
  memfs.expandFileStorage = (node, neededBytes) => ensureCapacity(memfs, node, neededBytes);
  memfs.resizeFileStorage = (node, sizeBytes) => {
    if (sizeBytes === node.usedBytes) return;
    if (sizeBytes > node.usedBytes) {
      // Past the end is zero already: room is all a larger size needs.
      ensureCapacity(memfs, node, sizeBytes);
      node.usedBytes = sizeBytes;
      return;
    }
    const resizable = resizableBufferOf(node.contents);
    if (resizable !== undefined) resizable.resize!(sizeBytes);
    else {
      const kept = new Uint8Array(sizeBytes);
      kept.set(memfs.getFileDataAsTypedArray(node).subarray(0, sizeBytes));
      node.contents = kept;
    }
    node.usedBytes = sizeBytes;
  };
}
