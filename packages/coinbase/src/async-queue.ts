/**
 * A push/pull queue turned into an async iterator that ends when `signal` aborts or `fail` is called.
 * @internal
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiter: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  private done = false;
  private failure: { error: unknown } | undefined;

  constructor(signal: AbortSignal, private readonly onEnd: () => void = () => {}) {
    if (signal.aborted) this.end();
    else signal.addEventListener('abort', () => this.end(), { once: true });
  }

  push(item: T): void {
    if (this.done) return;
    if (this.waiter !== undefined) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve({ value: item, done: false });
    } else this.items.push(item);
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.failure = { error };
    if (this.waiter !== undefined) {
      const { reject } = this.waiter;
      this.waiter = undefined;
      reject(error);
    }
    this.end();
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.onEnd();
    if (this.waiter !== undefined && this.items.length === 0) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.failure !== undefined) return Promise.reject(this.failure.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    this.items.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
