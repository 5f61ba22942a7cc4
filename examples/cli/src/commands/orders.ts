import { listHeldOrders, settleHeldOrder, type HeldOrder, type SettledHeldOrder } from '@tradepipe/coinbase';
import type { Order } from '@tradepipe/core';
import { parseOperatorFill } from '@tradepipe/example-services';
import { stringOption } from '../arguments.js';
import { EXIT_CODES, UsageError } from '../cli-errors.js';
import type { Command } from '../command.js';
import { STORE_OPTIONS, storeSchemaOf, withExistingSharedStore } from '../stores.js';

/** One order, as the text output prints it: Coinbase's figures (the order's, when it sent them) beside the recorded fills' when given. */
function orderLines(order: Order, recorded?: HeldOrder['recordedFills']): string[] {
  return [
    `${new Date(order.updatedAtMs).toISOString()}  order ${order.id}  ${order.side} ${order.productId}  ${order.status}  ${order.statusReason ?? ''}`,
    `  client order id ${order.clientOrderId}, exchange order id ${order.exchangeOrderId ?? '(none)'}; asked ${order.quoteSize === undefined ? `${order.baseSize ?? '?'} base` : `${order.quoteSize} quote`}`,
    `  ${recorded === undefined ? 'filled' : "filled by Coinbase's last figures"} ${order.filledBaseSize} base, ${order.filledQuoteValue} quote, fees ${order.totalFees}`,
    ...(recorded === undefined ? [] : [`  recorded fills ${recorded.count}: ${recorded.sizeBase} base, ${recorded.valueQuote} quote, fees ${recorded.commissionQuote}`]),
  ];
}

/** `tradepipe orders held`. */
const heldCommand: Command = {
  name: 'orders held',
  summary: 'list orders held open: Coinbase reports them ended but their fills do not account for them, or answers about another order',
  description: [
    'Lists the orders whose statusReason is HELD_… (oldest first): Coinbase reports each ended (FILLED, CANCELLED,',
    'EXPIRED, FAILED) while the fills it lists do not account for it, or (HELD_ANSWER_ABOUT_ANOTHER_ORDER) answers about',
    'it as if it were another order: then nothing says it ended. The order sync keeps polling and ends it once they',
    'agree; meanwhile its exposure reservation is held. If Coinbase never settles it, read its fills off Coinbase and',
    "end it with 'orders settle' (docs/operations.md, \"Orders held open\").",
  ].join('\n'),
  options: STORE_OPTIONS,
  examples: ['tradepipe orders held', 'tradepipe orders held --schema live --json'],
  async run(input) {
    const schema = storeSchemaOf(input.values, input.io.env);
    const orders = await withExistingSharedStore(input.values, input.io, listHeldOrders);
    if (input.flags.json) input.io.stdout.write(`${JSON.stringify({ schema, orders })}\n`);
    else input.io.stdout.write(orders.length === 0 ? `no held orders in schema ${schema}\n` : `${orders.flatMap((held) => orderLines(held.order, held.recordedFills)).join('\n')}\n`);
    return EXIT_CODES.ok;
  },
};

/** `tradepipe orders settle`. */
const settleCommand: Command = {
  name: 'orders settle',
  summary: 'end a held order on your word, with the fills you read off Coinbase',
  arguments: '<orderId>',
  description: [
    'Ends one order held open (HELD_…) after you checked it on Coinbase. The fill tracker may keep running: if it books a',
    'fill between this command reading the fills and ending the order, the end is refused (order_conflict, the order',
    'still held: look again and settle again); a fill it read before the settlement is not booked onto the settled order.',
    'Records the fills you give that the store lacks (under the id the order sync gives a fill: its entry_id), then ends',
    'the order EXECUTED with the totals of all its recorded fills, or FAILED with --nothing-filled. Its reservation is',
    'released and the pipeline ends its recommendation at its next poll. Refused before anything is written: an order',
    'that is not held; fills past what it can have filled, or short of what Coinbase reported filled (unless',
    '--override-coinbase-figures); a fill recorded with other figures, or the same trade recorded under another id.',
    'A fill: id=<entry_id>,price=<p>,size=<s>,commission=<c>,time=<ISO 8601> as Coinbase lists it, plus size-in-quote',
    '(the size is in quote, as for a quote-sized BUY) and maker where they apply.',
  ].join('\n'),
  options: {
    ...STORE_OPTIONS,
    fill: { type: 'string', value: '<id=…,price=…,size=…,commission=…,time=…>', description: 'a fill of the order as Coinbase lists it (repeat for each)', multiple: true },
    'recorded-fills-complete': { type: 'boolean', description: 'the fills already recorded are all the order filled: end it with them' },
    'nothing-filled': { type: 'boolean', description: 'the order filled nothing on Coinbase: end it FAILED (refused if any fill is recorded or given)' },
    'override-coinbase-figures': { type: 'boolean', description: "end it although the fills fall short of Coinbase's reported figures (you found them wrong)" },
    'order-ended-on-coinbase': { type: 'boolean', description: 'you looked the order up on Coinbase and it has ended (cancel it first if open): required for HELD_ANSWER_ABOUT_ANOTHER_ORDER' },
    reason: { type: 'string', value: '<text>', description: 'why, and what you checked (kept on the order; required)' },
  },
  maxPositionals: 1,
  examples: [
    'tradepipe orders settle ord_5b0c… --fill id=8f1e…,price=97250.12,size=99.4,commission=0.6,time=2026-12-07T16:05:01Z,size-in-quote --reason "fills endpoint never listed it; ticket 4711"',
    'tradepipe orders settle ord_5b0c… --nothing-filled --reason "no fill on the account"',
  ],
  async run(input) {
    const name = 'orders settle';
    const orderId = input.positionals[0];
    if (orderId === undefined) throw new UsageError("an order id is required (as 'orders held' prints it)", name);
    const reason = stringOption(input.values, 'reason');
    if (reason === undefined || reason.trim() === '') throw new UsageError('--reason is required', name);
    const nothingFilled = input.values['nothing-filled'] === true;
    const recordedFillsComplete = input.values['recorded-fills-complete'] === true;
    const overrideCoinbaseFigures = input.values['override-coinbase-figures'] === true;
    const orderEndedOnCoinbase = input.values['order-ended-on-coinbase'] === true;
    const fillTexts = input.lists?.fill ?? [];
    if ([fillTexts.length > 0, nothingFilled, recordedFillsComplete].filter(Boolean).length !== 1) {
      throw new UsageError('give the fills Coinbase lists (--fill, once each), or --recorded-fills-complete, or --nothing-filled: one of the three', name);
    }
    const fills = fillTexts.map(parseOperatorFill);
    const schema = storeSchemaOf(input.values, input.io.env);
    const settled: SettledHeldOrder = await withExistingSharedStore(input.values, input.io, (store) =>
      settleHeldOrder(store, {
        orderId,
        fills,
        reason,
        nowMs: Date.now(),
        ...(nothingFilled ? { nothingFilled } : {}),
        ...(recordedFillsComplete ? { recordedFillsComplete } : {}),
        ...(overrideCoinbaseFigures ? { overrideCoinbaseFigures } : {}),
        ...(orderEndedOnCoinbase ? { orderEndedOnCoinbase } : {}),
      }),
    );
    if (input.flags.json) input.io.stdout.write(`${JSON.stringify({ schema, ...settled })}\n`);
    else {
      const recorded = `${settled.fillsRecorded} fill${settled.fillsRecorded === 1 ? '' : 's'} recorded, ${settled.fillsAlreadyRecorded} already recorded`;
      input.io.stdout.write(`${[`settled in schema ${schema}: ${recorded}`, ...orderLines(settled.order)].join('\n')}\n`);
    }
    return EXIT_CODES.ok;
  },
};

/** `tradepipe orders held|settle`. */
export const orderCommands: readonly Command[] = [heldCommand, settleCommand];
