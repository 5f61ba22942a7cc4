import type { PGlite } from '@electric-sql/pglite';

/** Below this, an in-memory file's storage doubles when it fills; above, it grows by this much at a time. */
const GROWTH_STEP_BYTES = 64 * 1024 * 1024;

/** The part of Emscripten's in-memory file system (MEMFS) that grows a file's storage. */
interface MemoryFileSystem {
  expandFileStorage(node: { contents: Uint8Array | null }, neededBytes: number): void;
  getFileDataAsTypedArray(node: { contents: Uint8Array | null }): Uint8Array;
}

function memoryFileSystemOf(database: PGlite): MemoryFileSystem | undefined {
  const memfs = (database as unknown as { mod?: { MEMFS?: Partial<MemoryFileSystem> } }).mod?.MEMFS;
  return typeof memfs?.expandFileStorage === 'function' && typeof memfs.getFileDataAsTypedArray === 'function' ? (memfs as MemoryFileSystem) : undefined;
}

/**
 * Makes the in-memory files of a PGlite instance grow in larger steps. Emscripten's MEMFS grows a file past
 * 1 MB by an eighth, copying the whole file into a new array each time: a table of a few hundred MB is copied
 * about eight times over as it fills (the largest single cost of a year's bulk writes after PostgreSQL's own:
 * 25 % of their CPU time at 100,000 candles and signals). Here a file doubles up to 64 MB, then grows by 64 MB:
 * each byte is copied once or twice, for at most 64 MB unused per file. Only an instance in memory (its files
 * are MEMFS nodes), and only if that part of PGlite is where this version of it keeps it; otherwise nothing
 * changes.
 * @internal
 */
export function growMemoryFilesInLargerSteps(database: PGlite): void {
  const memfs = memoryFileSystemOf(database);
  if (memfs === undefined) return;
  memfs.expandFileStorage = (node, neededBytes) => {
    const capacity = node.contents?.length ?? 0;
    if (capacity >= neededBytes) return;
    const grown = Math.max(neededBytes, capacity + Math.min(Math.max(capacity, 256), GROWTH_STEP_BYTES));
    const used = memfs.getFileDataAsTypedArray(node);
    node.contents = new Uint8Array(grown);
    node.contents.set(used);
  };
}
