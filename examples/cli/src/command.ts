import { parseArgs } from 'node:util';
import { UsageError } from './cli-errors.js';
import type { CliIo, GlobalFlags } from './io.js';

/** One option of a command, for `parseArgs` and for its help. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Shown in help: `<file>`, `<n>`, `<date>`. */
  readonly value?: string;
  readonly description: string;
  /** May be given more than once (a string option): its values arrive in order in {@link CommandInput.lists}, not in `values`. */
  readonly multiple?: boolean;
}

/** What a command's `run` receives. */
export interface CommandInput {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  /** The values of each option that may be given more than once, in order (absent when not given). */
  readonly lists?: Readonly<Record<string, readonly string[]>>;
  readonly positionals: readonly string[];
  readonly io: CliIo;
  readonly flags: GlobalFlags;
}

/** A command (or subcommand) of `tradepipe`. */
export interface Command {
  /** As typed: `backtest`, `check lookahead`. */
  readonly name: string;
  readonly summary: string;
  /** Arguments after the options in the usage line, e.g. `<name>`. */
  readonly arguments?: string;
  /** Longer explanation, shown by `--help`. */
  readonly description: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly examples: readonly string[];
  /** Positional arguments allowed (default 0). */
  readonly maxPositionals?: number;
  run(input: CommandInput): Promise<number>;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  json: { type: 'boolean', description: 'print one JSON document on stdout (errors as JSON on stderr), no progress' },
  verbose: { type: 'boolean', description: 'show error details, causes and stack traces' },
};

/** Help text of a command. */
export function commandHelp(command: Command): string {
  const all = { ...command.options, ...GLOBAL_OPTIONS };
  const rows = Object.entries(all).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}${spec.value === undefined ? '' : ` ${spec.value}`}`;
    return `  ${flag.padEnd(30)} ${spec.description}`;
  });
  return [
    `Usage: tradepipe ${command.name}${Object.keys(command.options).length > 0 ? ' [options]' : ''}${command.arguments === undefined ? '' : ` ${command.arguments}`}`,
    '',
    command.description,
    '',
    'Options:',
    ...rows,
    ...(command.examples.length > 0 ? ['', 'Examples:', ...command.examples.map((example) => `  ${example}`)] : []),
    '',
  ].join('\n');
}

/** Parses a command's arguments strictly; a bad command line is a {@link UsageError}. */
export function parseCommandArgs(command: Command, args: readonly string[]): { values: Record<string, string | boolean | undefined>; lists: Record<string, string[]>; positionals: string[] } {
  const specs = { ...command.options, ...GLOBAL_OPTIONS };
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [name, { type: spec.type, ...(spec.short === undefined ? {} : { short: spec.short }), ...(spec.multiple === true ? { multiple: true } : {}) }]),
  );
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
    if (values.help !== true && positionals.length > (command.maxPositionals ?? 0)) {
      throw new UsageError(`unexpected argument '${positionals[command.maxPositionals ?? 0]}'`, command.name);
    }
    const single: Record<string, string | boolean | undefined> = {};
    const lists: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(values)) {
      if (specs[name]?.multiple === true) lists[name] = (Array.isArray(value) ? value : [value]).map(String);
      else single[name] = value as string | boolean | undefined;
    }
    return { values: single, lists, positionals };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const message = error instanceof Error ? error.message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '') : String(error);
    throw new UsageError(message.charAt(0).toLowerCase() + message.slice(1), command.name);
  }
}
