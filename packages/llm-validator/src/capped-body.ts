/**
 * The most bytes of one Ollama response body the validator reads (4 MiB). A verdict is a few hundred bytes and a
 * whole `/api/chat` answer a few kilobytes (`num_predict` caps the tokens); past this the body is not read further
 * and the validation is a recorded REJECT (`validator_error`), so a broken server or proxy cannot make the process
 * hold an unbounded answer. The health check's `GET /api/tags` is read under the same cap.
 * @example
 * OLLAMA_RESPONSE_LIMIT_BYTES; // 4_194_304
 */
export const OLLAMA_RESPONSE_LIMIT_BYTES = 4 * 1024 * 1024;

/** A body read under a cap: all of it, or the text before the cap when it was longer (the rest left unread). */
export type CappedBody =
  | { readonly kind: 'complete'; readonly text: string }
  | { readonly kind: 'too_large'; readonly text: string; readonly limitBytes: number };

/**
 * Reads a response body as UTF-8 text, chunk by chunk, and stops (cancelling the stream) once more than
 * `limitBytes` have arrived, or at once when `content-length` already says so. A stream that fails (the
 * request's signal aborted, the connection dropped) rejects as `response.text()` would.
 * @internal
 */
export async function readCappedText(response: Response, limitBytes: number): Promise<CappedBody> {
  const declared = Number(response.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > limitBytes) {
    await response.body?.cancel().catch(() => undefined);
    return { kind: 'too_large', text: '', limitBytes };
  }
  if (response.body === null) return { kind: 'complete', text: '' };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { kind: 'complete', text: text + decoder.decode() };
    bytes += value.byteLength;
    if (bytes > limitBytes) {
      await reader.cancel().catch(() => undefined);
      return { kind: 'too_large', text, limitBytes };
    }
    text += decoder.decode(value, { stream: true });
  }
}
