/** One open object or array while scanning: an object keeps the keys it has seen. */
interface Frame {
  readonly keys: Set<string> | undefined;
  expectingKey: boolean;
}

const QUOTE = 34;
const BACKSLASH = 92;
const LONGEST_KEY_SHOWN = 60;

/** The end (index of the closing quote) of the JSON string whose opening quote is at `start`. */
function stringEnd(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === BACKSLASH) index += 2;
    else if (code === QUOTE) return index;
    else index += 1;
  }
  return text.length;
}

/** A key as JSON.parse would name it: escapes decoded (`"\u0061"` is the key `a`). */
function keyText(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end);
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(text.slice(start, end + 1)) as string;
  } catch {
    return raw; // not JSON after all: compare the text as written
  }
}

/**
 * Finds the first key that an object of a JSON text repeats, at any depth. `JSON.parse` keeps the last of
 * repeated keys (and a reviver sees only that one), so `{"decision":"REJECT",…,"decision":"APPROVE"}` would
 * read as an approval; such a text is ambiguous and the validator refuses it. One pass over the text, no
 * recursion (nesting depth costs one small frame each), memory proportional to the keys: the text is at most
 * `OLLAMA_RESPONSE_LIMIT_BYTES` long. Expects text that `JSON.parse` accepted; on other text the answer
 * is meaningless but the scan still ends.
 * @returns the repeated key (cut to 60 characters), or `undefined` when every object's keys are unique
 * @example
 * findDuplicateKey('{"a":1,"b":{"a":2}}'); // undefined
 * findDuplicateKey('{"a":1,"a":2}'); // 'a'
 * @internal
 */
export function findDuplicateKey(text: string): string | undefined {
  const frames: Frame[] = [];
  let top: Frame | undefined;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      const end = stringEnd(text, index);
      if (top?.keys !== undefined && top.expectingKey) {
        const key = keyText(text, index, end);
        if (top.keys.has(key)) return key.length <= LONGEST_KEY_SHOWN ? key : `${key.slice(0, LONGEST_KEY_SHOWN - 1)}…`;
        top.keys.add(key);
        top.expectingKey = false;
      }
      index = end;
    } else if (code === 123 /* { */ || code === 91 /* [ */) {
      top = { keys: code === 123 ? new Set() : undefined, expectingKey: code === 123 };
      frames.push(top);
    } else if (code === 125 /* } */ || code === 93 /* ] */) {
      frames.pop();
      top = frames[frames.length - 1];
    } else if (code === 44 /* , */ && top?.keys !== undefined) {
      top.expectingKey = true;
    }
  }
  return undefined;
}
