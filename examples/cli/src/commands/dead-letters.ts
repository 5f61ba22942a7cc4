import type { DeadLetter, DeadLetterCursor, WorkKind, WorkStatus } from '@tradepipe/core';
import { numberOption, stringOption } from '../arguments.js';
import { EXIT_CODES, UsageError } from '../cli-errors.js';
import type { Command, CommandInput } from '../command.js';
import { STORE_OPTIONS, storeSchemaOf, withExistingSharedStore } from '../stores.js';

const KINDS: readonly WorkKind[] = ['candle', 'signal', 'recommendation'];
const KIND_LIST = KINDS.join('|');

function kindOf(text: string | undefined, command: string): WorkKind {
  if (text === undefined || !(KINDS as readonly string[]).includes(text)) {
    throw new UsageError(`${text === undefined ? 'a kind is required' : `unknown kind '${text}'`}; one of: ${KINDS.join(', ')}`, command);
  }
  return text as WorkKind;
}

/** `--after` as printed by `list`: `<updatedAtMs>:<kind>:<id>` (the id may hold ':' and '/'). */
function cursorOf(text: string | undefined): DeadLetterCursor | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+):([a-z]+):(.+)$/.exec(text);
  if (match === null || !(KINDS as readonly string[]).includes(match[2]!)) {
    throw new UsageError(`--after must be '<updatedAtMs>:<kind>:<id>' as printed by the previous page, not '${text}'`, 'dead-letters list');
  }
  return { updatedAtMs: Number(match[1]), kind: match[2] as WorkKind, id: match[3]! };
}

const cursorText = (letter: DeadLetter): string => `${letter.updatedAtMs}:${letter.kind}:${letter.id}`;

function printLetters(letters: readonly DeadLetter[], next: string | undefined, input: CommandInput): void {
  if (input.flags.json) {
    input.io.stdout.write(`${JSON.stringify({ deadLetters: letters, ...(next === undefined ? {} : { next }) })}\n`);
    return;
  }
  if (letters.length === 0) {
    input.io.stdout.write('no dead letters\n');
    return;
  }
  const lines = letters.map((letter) =>
    [
      `${new Date(letter.updatedAtMs).toISOString()}  ${letter.kind} ${letter.id}`,
      `  from ${letter.fromState ?? '(not recorded)'}, ${letter.attempt} failed attempt${letter.attempt === 1 ? '' : 's'}`,
      `  ${letter.lastError === undefined ? '' : `${letter.lastError.code}: `}${letter.lastError?.message ?? letter.reason ?? '(no reason recorded)'}`,
    ].join('\n'),
  );
  if (next !== undefined) lines.push(`more: tradepipe dead-letters list --after '${next}'`);
  input.io.stdout.write(`${lines.join('\n')}\n`);
}

/** `tradepipe dead-letters list`. */
const listCommand: Command = {
  name: 'dead-letters list',
  summary: 'list work items that failed for good (DEAD_LETTER), oldest first',
  description: [
    'Lists candles, signals and recommendations in DEAD_LETTER in the shared store, oldest first: the state each',
    'was dead-lettered from, its failed attempts and its last error. Each one keeps the health check dead_letters',
    "degraded until it is re-queued ('dead-letters requeue') or discarded ('dead-letters discard').",
  ].join('\n'),
  options: {
    ...STORE_OPTIONS,
    kind: { type: 'string', value: `<${KIND_LIST}>`, description: 'only items of this kind' },
    limit: { type: 'string', value: '<n>', description: 'most items to print, 1 to 1000 (default 100)' },
    after: { type: 'string', value: '<cursor>', description: "the next page: the 'more' cursor the previous page printed" },
  },
  examples: ['tradepipe dead-letters list', 'tradepipe dead-letters list --kind recommendation --json'],
  async run(input) {
    const kind = stringOption(input.values, 'kind') === undefined ? undefined : kindOf(stringOption(input.values, 'kind'), 'dead-letters list');
    const limit = numberOption(input.values, 'limit', { min: 1, max: 1000, integer: true }) ?? 100;
    const after = cursorOf(stringOption(input.values, 'after'));
    const letters = await withExistingSharedStore(input.values, input.io, (store) => store.listDeadLetters({ limit, ...(kind === undefined ? {} : { kind }), ...(after === undefined ? {} : { after }) }));
    printLetters(letters, letters.length === limit ? cursorText(letters.at(-1)!) : undefined, input);
    return EXIT_CODES.ok;
  },
};

function settleCommand(mode: 'requeue' | 'discard'): Command {
  const requeue = mode === 'requeue';
  return {
    name: `dead-letters ${mode}`,
    summary: requeue ? 'send a dead letter back to the stage that failed it, attempts reset' : 'acknowledge a dead letter without running it again (DISCARDED)',
    arguments: `<${KIND_LIST}> <id>`,
    description: requeue
      ? [
          'Moves one DEAD_LETTER item back to the state it was dead-lettered from (a candle or signal: PENDING),',
          'claimable at once with its attempts reset; its last error is kept. Fix the cause first, or it fails again.',
          'A recommendation that has an order is refused (order_recorded: an order is never placed twice; the order',
          'reconciler follows it): discard it. A recommendation past its TTL ends EXPIRED at its stage.',
        ].join('\n')
      : [
          'Moves one DEAD_LETTER item to DISCARDED: no stage runs it again and the health check stops counting it.',
          'Its reason and last error are kept; countByState reports DISCARDED items apart.',
        ].join('\n'),
    options: { ...STORE_OPTIONS, reason: { type: 'string', value: '<text>', description: 'why (kept with the item; required)' } },
    maxPositionals: 2,
    examples: [`tradepipe dead-letters ${mode} candle BTC-USD/ONE_HOUR/1735689600000 --reason "${requeue ? 'model fixed' : 'bad candle from the exchange'}"`],
    async run(input) {
      const name = `dead-letters ${mode}`;
      const kind = kindOf(input.positionals[0], name);
      const id = input.positionals[1];
      if (id === undefined) throw new UsageError('an item id is required (as dead-letters list prints it)', name);
      const reason = stringOption(input.values, 'reason');
      if (reason === undefined || reason.trim() === '') throw new UsageError('--reason is required', name);
      const schema = storeSchemaOf(input.values, input.io.env);
      const status: WorkStatus = await withExistingSharedStore(input.values, input.io, (store) => (requeue ? store.requeueDeadLetter(kind, id, { reason }) : store.discardDeadLetter(kind, id, { reason })));
      input.io.stdout.write(input.flags.json ? `${JSON.stringify({ schema, kind, id, status })}\n` : `${kind} ${id} in schema ${schema}: ${status.state} (${status.reason ?? ''})\n`);
      return EXIT_CODES.ok;
    },
  };
}

/** `tradepipe dead-letters list|requeue|discard`. */
export const deadLetterCommands: readonly Command[] = [listCommand, settleCommand('requeue'), settleCommand('discard')];
