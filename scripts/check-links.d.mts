/** GitHub's anchor for a heading's text: lower case, punctuation dropped, spaces as hyphens. */
export function slugOf(heading: string): string;

/** Every broken relative link of the given Markdown files (repository-relative paths; default all checked ones), as `file:line: why`. */
export function findBrokenLinks(root: string, files?: readonly string[]): { readonly broken: string[]; readonly checked: number };
