/**
 * Removes `item` from a small list, keeping the others in order (they move down one place): O(size), nothing
 * allocated. The small sets of the live path (leases held, waits, an abort signal's children) are such lists: a
 * `Set` that empties and fills again allocates a new table each time it shrinks back (≈ 120 bytes per cycle,
 * several cycles per candle).
 * @returns whether it was there
 * @internal
 */
export function removeFromList<T>(list: T[], item: T): boolean {
  const index = list.indexOf(item);
  if (index < 0) return false;
  for (let at = index; at < list.length - 1; at += 1) list[at] = list[at + 1]!;
  list.pop();
  return true;
}
