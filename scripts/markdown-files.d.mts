/** Repository-relative paths of every checked Markdown file (READMEs and docs/, not docs/api), sorted. */
export function markdownFiles(root: string): string[];

/** A fenced TypeScript block of a Markdown file. */
export interface TypeScriptSample {
  /** Repository-relative path of the Markdown file. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The words after the language in the info string: `run`, `fragment`, `excerpt=<path>`. */
  readonly flags: readonly string[];
  /** The block's text, its fence indentation removed. */
  readonly code: string;
}

/** Every ```ts / ```typescript block of a Markdown text. */
export function typeScriptSamples(file: string, text: string): TypeScriptSample[];
