const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes text for HTML content and attribute values: `& < > " '`.
 * @example
 * escapeHtml('<script>'); // '&lt;script&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}

/**
 * JSON for a `<script type="application/json">` island: `<`, `>`, `&` and the JavaScript line separators are
 * written as `\u` escapes, so no string in the data can close the element or start markup.
 * @example
 * jsonForScript({ reason: '</script>' }); // '{"reason":"\\u003c/script\\u003e"}'
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
