import { EXIT_CODES, UsageError, describeError } from './cli-errors.js';
import { commandHelp, parseCommandArgs, type Command } from './command.js';
import { backtestCommand } from './commands/backtest.js';
import { checkLookaheadCommand } from './commands/check-lookahead.js';
import { checkWarmupCommand } from './commands/check-warmup.js';
import { deadLetterCommands } from './commands/dead-letters.js';
import { orderCommands } from './commands/orders.js';
import { devCommand } from './commands/dev.js';
import { downloadCommand } from './commands/download.js';
import { healthCommand, killSwitchCommands, migrateCommand, serviceCommand } from './commands/operations.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { trainCommand } from './commands/train.js';
import type { CliIo } from './io.js';

/** The version printed by `--version` (the package's). */
export const CLI_VERSION = '0.2.0';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [runCommand, backtestCommand, reportCommand, downloadCommand, trainCommand, checkLookaheadCommand, checkWarmupCommand, devCommand, serviceCommand, migrateCommand, healthCommand, ...killSwitchCommands, ...deadLetterCommands, ...orderCommands];

/** Commands that only group subcommands. */
const GROUPS: Readonly<Record<string, string>> = { check: 'checks of a pipeline', 'kill-switch': "the deployment's kill switch", 'dead-letters': 'work items that failed for good', orders: 'orders held open, and their settlement by an operator' };

const EXIT_CODE_HELP = [
  'Exit codes:',
  '  0    ok',
  '  1    failed (printed as one line: tradepipe: <code>: <message>; --verbose for details)',
  '  2    usage: unknown command or option, missing or malformed value',
  '  3    a check found a problem (check lookahead, check warmup, health not ok)',
  '  130  interrupted (Ctrl-C)',
];

function mainHelp(): string {
  const names = COMMANDS.map((command) => command.name);
  const width = Math.max(...names.map((name) => name.length)) + 2;
  return [
    'Usage: tradepipe <command> [options]',
    '',
    'tradepipe: automated crypto-trading pipelines — market data, 51 features, ONNX signals, LLM validation, risk,',
    'Coinbase execution — on paper by default.',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}${command.summary}`),
    '',
    "Run 'tradepipe <command> --help' for a command's options. Every command takes --json and --verbose.",
    '',
    ...EXIT_CODE_HELP,
    '',
  ].join('\n');
}

function groupHelp(group: string): string {
  const members = COMMANDS.filter((command) => command.name.startsWith(`${group} `));
  return [`Usage: tradepipe ${group} <${members.map((command) => command.name.slice(group.length + 1)).join('|')}> [options]`, '', `${GROUPS[group]}:`, ...members.map((command) => `  ${command.name.padEnd(22)}${command.summary}`), ''].join('\n');
}

/** Finds the command named by the first one or two words. @throws UsageError */
function findCommand(args: readonly string[]): { command: Command; rest: string[] } | { help: string } {
  const [first, second] = args;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') return { help: mainHelp() };
  if (first in GROUPS) {
    const command = COMMANDS.find((candidate) => candidate.name === `${first} ${second}`);
    if (command !== undefined) return { command, rest: args.slice(2) };
    if (second === undefined || second === '--help' || second === '-h') {
      if (second === undefined) throw new UsageError(`'${first}' needs a subcommand: ${COMMANDS.filter((candidate) => candidate.name.startsWith(`${first} `)).map((candidate) => candidate.name.slice(first.length + 1)).join(', ')}`, first);
      return { help: groupHelp(first) };
    }
    throw new UsageError(`unknown ${first} subcommand '${second}'`, first);
  }
  const command = COMMANDS.find((candidate) => candidate.name === first);
  if (command === undefined) throw new UsageError(`unknown command '${first}'`);
  return { command, rest: args.slice(1) };
}

/**
 * Runs `tradepipe` with `args` (the words after the program name).
 * @returns the exit code (see `tradepipe --help`)
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const json = args.includes('--json');
  const verbose = args.includes('--verbose');
  let commandName: string | undefined;
  try {
    if (args[0] === '--version' || args[0] === '-v') {
      io.stdout.write(`${CLI_VERSION}\n`);
      return EXIT_CODES.ok;
    }
    const found = findCommand(args);
    if ('help' in found) {
      io.stdout.write(found.help);
      return EXIT_CODES.ok;
    }
    commandName = found.command.name;
    const parsed = parseCommandArgs(found.command, found.rest);
    if (parsed.values.help === true) {
      io.stdout.write(commandHelp(found.command));
      return EXIT_CODES.ok;
    }
    return await found.command.run({ values: parsed.values, lists: parsed.lists, positionals: parsed.positionals, io, flags: { json, verbose } });
  } catch (error) {
    if (io.signal.aborted) {
      io.stderr.write('tradepipe: interrupted\n');
      return EXIT_CODES.interrupted;
    }
    // A bad option value found inside a command points at that command's help.
    const pointed = error instanceof UsageError && error.command === undefined && commandName !== undefined ? new UsageError(error.message, commandName) : error;
    const described = describeError(pointed, { json, verbose });
    io.stderr.write(`${described.text}\n`);
    return described.exitCode;
  }
}
