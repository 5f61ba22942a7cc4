// Test support for the chaos storm: the end state, store against exchange. Every recommendation terminal, one
// exchange order per client_order_id, store orders = exchange orders, position = fills = exchange balance, no
// reservation left. Returns the counts to print and every mismatch found (none is the only pass).
import { addDecimal, compareDecimal, decimal, type DecimalString, type PipelineStore } from '@tradepipe/core';
import type { FakeCoinbase } from '@tradepipe/coinbase/testing';

const TERMINAL_RECOMMENDATION_STATES = ['EXECUTED', 'REJECTED', 'FAILED', 'EXPIRED', 'DEAD_LETTER', 'DISCARDED'];
/** How an exchange order's end shows in the store. */
const STORE_STATUS_OF: Readonly<Record<string, string>> = { FILLED: 'EXECUTED', CANCELLED: 'FAILED', EXPIRED: 'FAILED', FAILED: 'FAILED' };

/** The audit of the end state. */
export interface LedgerAudit {
  readonly counts: Readonly<Record<string, number | string>>;
  readonly problems: readonly string[];
}

const sum = (values: readonly string[]): DecimalString => values.reduce<DecimalString>((total, value) => addDecimal(total, decimal(value)), decimal('0'));
const differ = (a: DecimalString, b: DecimalString): boolean => compareDecimal(a, b) !== 0;

/** Checks the store against the fake exchange once everything settled. */
export async function auditLedger(store: PipelineStore, coinbase: FakeCoinbase, recommendationIds: readonly string[]): Promise<LedgerAudit> {
  const problems: string[] = [];
  const states: Record<string, number> = {};
  for (const id of recommendationIds) {
    const state = (await store.getRecommendation(id))?.status.state ?? 'MISSING';
    states[state] = (states[state] ?? 0) + 1;
    if (!TERMINAL_RECOMMENDATION_STATES.includes(state)) problems.push(`recommendation ${id} is ${state}, not terminal`);
  }
  const exchangeOrders = coinbase.orders() as { order_id: string; client_order_id: string; status: string; filled_size: string }[];
  const perClientOrderId = new Map<string, number>();
  for (const order of exchangeOrders) perClientOrderId.set(order.client_order_id, (perClientOrderId.get(order.client_order_id) ?? 0) + 1);
  for (const [clientOrderId, count] of perClientOrderId) if (count > 1) problems.push(`${count} exchange orders for client_order_id ${clientOrderId}`);

  const storeOrders = await store.listOrders({});
  const storeFills = (await Promise.all(storeOrders.map((order) => store.listFills(order.id)))).flat();
  for (const exchangeOrder of exchangeOrders) {
    const mine = storeOrders.find((order) => order.clientOrderId === exchangeOrder.client_order_id);
    const expected = STORE_STATUS_OF[exchangeOrder.status] ?? `(exchange still ${exchangeOrder.status})`;
    if (mine === undefined) problems.push(`exchange order ${exchangeOrder.order_id} (${exchangeOrder.client_order_id}) has no store order`);
    else if (mine.exchangeOrderId !== exchangeOrder.order_id || mine.status !== expected || differ(decimal(mine.filledBaseSize), decimal(String(exchangeOrder.filled_size))))
      problems.push(`store order ${mine.clientOrderId} is ${mine.status} ${mine.filledBaseSize} (${mine.exchangeOrderId ?? 'no exchange id'}), exchange says ${exchangeOrder.status} ${exchangeOrder.filled_size} (${exchangeOrder.order_id})`);
  }
  for (const order of storeOrders.filter((stored) => !perClientOrderId.has(stored.clientOrderId))) {
    const fills = storeFills.filter((fill) => fill.orderId === order.id).length;
    if (order.status === 'EXECUTED' || !['REJECTED', 'FAILED'].includes(order.status) || fills > 0) problems.push(`store order ${order.clientOrderId} is ${order.status} with ${fills} fills but not on the exchange`);
  }

  // A Coinbase fill's id is `cb-` and the exchange's entry id (or trade id); a quote-sized order's fills give
  // their size in quote, so the base filled on the exchange is read from its orders.
  const exchangeFills = coinbase.fills();
  const storeFillIds = new Set(storeFills.map((fill) => fill.id));
  const unmatched = exchangeFills.filter((fill) => !storeFillIds.has(`cb-${fill.entry_id}`) && !storeFillIds.has(`cb-${fill.trade_id}`)).length;
  const storeFilled = sum(storeFills.map((fill) => fill.sizeBase));
  const exchangeFilled = sum(exchangeOrders.map((order) => String(order.filled_size)));
  if (storeFills.length !== exchangeFills.length || unmatched > 0 || differ(storeFilled, exchangeFilled))
    problems.push(`store fills ${storeFills.length} (${storeFilled} BTC) ≠ exchange fills ${exchangeFills.length} (${exchangeFilled} BTC), ${unmatched} exchange trades not in the store`);
  const position = decimal((await store.getPosition('BTC-USD'))?.sizeBase ?? '0');
  const btc = coinbase.balances().BTC;
  const exchangeBtc = btc === undefined ? decimal('0') : addDecimal(btc.available, btc.hold);
  if (differ(position, storeFilled) || differ(position, exchangeBtc)) problems.push(`position ${position} BTC, fills ${storeFilled} BTC, exchange balance ${exchangeBtc} BTC`);
  const reservations = await store.listActiveReservations();
  if (reservations.length > 0) problems.push(`${reservations.length} reservations left: ${reservations.map((reservation) => reservation.approvalId).join(', ')}`);
  const unknown = storeOrders.filter((order) => order.status === 'UNKNOWN').length;

  return {
    counts: {
      recommendations: recommendationIds.length,
      ...Object.fromEntries(Object.entries(states).map(([state, count]) => [`recommendations ${state}`, count])),
      'exchange orders': exchangeOrders.length,
      'client_order_ids on the exchange': perClientOrderId.size,
      'store orders': storeOrders.length,
      'store orders UNKNOWN': unknown,
      'store fills': storeFills.length,
      'exchange fills': exchangeFills.length,
      'exchange trades not in the store': unmatched,
      'position BTC': position,
      'exchange BTC': exchangeBtc,
      'reservations left': reservations.length,
    },
    problems,
  };
}
