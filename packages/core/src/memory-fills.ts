import { compareDecimal, decimal } from './decimal.js';
import { TradepipeError } from './errors.js';
import { canonicalJson } from './ids.js';
import { GroupedRecords } from './memory-indexes.js';
import { applyFillToBalances, applyFillToPosition } from './memory-ledger.js';
import type { Balance, Fill, Position } from './records/execution.js';
import type { InsertResult } from './store.js';

const ZERO = decimal('0');

/**
 * The in-memory store's fills with what they move: positions by product and balances by currency. Takes
 * parsed records (the store parses at its boundary).
 * @internal
 */
export class MemoryFills {
  private readonly fills = new Map<string, Fill>();
  /** The fills of each order, in the order stored: an order's fills are read without reading every fill. */
  private readonly fillsByOrder = new GroupedRecords<Fill>();
  private readonly positions = new Map<string, Position>();
  private readonly balances = new Map<string, Balance>();

  /**
   * Records a fill once (by id) and, with it, the position and balances it moves.
   * @throws TradepipeError `record_conflict` if a fill with this id exists with other content
   */
  record(fill: Fill, currencies: { readonly quoteCurrency: string; readonly baseCurrency: string }): InsertResult {
    const existing = this.fills.get(fill.id);
    if (existing !== undefined) {
      if (canonicalJson(existing) === canonicalJson(fill)) return { status: 'duplicate' };
      throw new TradepipeError('record_conflict', 'A fill with this id exists with other content', { details: { fillId: fill.id } });
    }
    this.fills.set(fill.id, fill);
    this.fillsByOrder.add(fill.orderId, fill);
    this.positions.set(fill.productId, applyFillToPosition(this.positions.get(fill.productId), fill));
    for (const balance of applyFillToBalances(this.balances, fill, currencies)) this.balances.set(balance.currency, balance);
    return { status: 'inserted' };
  }

  /** Whether a fill with this id is recorded. */
  has(fillId: string): boolean {
    return this.fills.has(fillId);
  }

  /** An order's fills, oldest first. */
  list(orderId: string): Fill[] {
    return this.fillsByOrder.list(orderId).sort((a, b) => a.filledAtMs - b.filledAtMs);
  }

  /** Every position, closed ones included. */
  allPositions(): Position[] {
    return [...this.positions.values()];
  }

  /** The positions with a size above zero. */
  openPositions(): Position[] {
    return this.allPositions().filter((position) => compareDecimal(position.sizeBase, ZERO) > 0);
  }

  /** The position in a product (closed to zero included). */
  position(productId: string): Position | undefined {
    return this.positions.get(productId);
  }

  /** Every balance. */
  allBalances(): Balance[] {
    return [...this.balances.values()];
  }

  /** Replaces balances by currency. */
  putBalances(balances: readonly Balance[]): void {
    for (const balance of balances) this.balances.set(balance.currency, balance);
  }
}
