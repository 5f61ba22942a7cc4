import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { growMemoryFilesInLargerSteps } from './pglite-memory.js';

interface MemoryFile {
  contents: Uint8Array;
  usedBytes: number;
}

describe('in-memory PGlite files growing in larger steps', () => {
  const database = new PGlite();
  afterAll(() => database.close());

  it('doubles a file up to 64 MB, then adds 64 MB at a time, keeping every byte written', async () => {
    await database.waitReady;
    growMemoryFilesInLargerSteps(database);
    const fs = (database as unknown as { mod: { FS: { open(path: string, flags: string): unknown; write(stream: unknown, data: Uint8Array, offset: number, length: number): number; close(stream: unknown): void; lookupPath(path: string): { node: MemoryFile } } } }).mod.FS;
    const stream = fs.open('/tmp/tradepipe-growth', 'w+');
    const block = new Uint8Array(1024 * 1024);
    const capacities: number[] = [];
    for (let index = 0; index < 70; index += 1) {
      block.fill(index);
      fs.write(stream, block, 0, block.length);
      capacities.push(fs.lookupPath('/tmp/tradepipe-growth').node.contents.length);
    }
    fs.close(stream);
    const node = fs.lookupPath('/tmp/tradepipe-growth').node;
    expect(node.usedBytes).toBe(70 * block.length);
    for (let index = 0; index < 70; index += 1) expect(node.contents[index * block.length + 12_345]).toBe(index);
    const megabytes = [...new Set(capacities)].map((bytes) => bytes / (1024 * 1024));
    expect(megabytes).toEqual([1, 2, 4, 8, 16, 32, 64, 128]);
  });

  it('grows and truncates files in place (ftruncate, PGlite\'s fallocate) with zeros past the end', async () => {
    await database.waitReady;
    growMemoryFilesInLargerSteps(database);
    const fs = (database as unknown as { mod: { FS: { open(path: string, flags: string): unknown; write(stream: unknown, data: Uint8Array, offset: number, length: number): number; ftruncate(fd: number, length: number): void; close(stream: unknown): void; lookupPath(path: string): { node: MemoryFile } } } }).mod.FS;
    const stream = fs.open('/tmp/tradepipe-truncate', 'w+') as { fd: number };
    const block = new Uint8Array(3 * 1024 * 1024).fill(7);
    fs.write(stream, block, 0, block.length);
    fs.ftruncate(stream.fd, 5 * 1024 * 1024);
    let node = fs.lookupPath('/tmp/tradepipe-truncate').node;
    expect(node.usedBytes).toBe(5 * 1024 * 1024);
    expect(node.contents[3 * 1024 * 1024 - 1]).toBe(7);
    expect(node.contents.subarray(3 * 1024 * 1024, 5 * 1024 * 1024).every((byte) => byte === 0)).toBe(true);
    fs.ftruncate(stream.fd, 1024 * 1024);
    fs.ftruncate(stream.fd, 4 * 1024 * 1024);
    node = fs.lookupPath('/tmp/tradepipe-truncate').node;
    expect(node.usedBytes).toBe(4 * 1024 * 1024);
    expect(node.contents[1024 * 1024 - 1]).toBe(7);
    expect(node.contents.subarray(1024 * 1024, 4 * 1024 * 1024).every((byte) => byte === 0)).toBe(true);
    fs.close(stream);
  });
});
