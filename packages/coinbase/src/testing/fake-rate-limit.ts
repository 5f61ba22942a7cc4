/** Server-side request limits of the fake: a token bucket per key or IP. @internal */
export interface WindowLimiter {
  take(key: string, ratePerSecond: number): { readonly allowed: boolean; readonly remaining: number };
}

/**
 * A token bucket per caller holding `ratePerSecond` tokens and refilling at that rate, on the real
 * clock (rate limits are about wall time even when the fake's clock is manual).
 * @internal
 */
export function createWindowLimiter(enabled: boolean): WindowLimiter {
  const buckets = new Map<string, { tokens: number; atMs: number }>();
  return {
    take(key, ratePerSecond) {
      if (!enabled) return { allowed: true, remaining: ratePerSecond };
      const nowMs = performance.now();
      const bucket = buckets.get(key) ?? { tokens: ratePerSecond, atMs: nowMs };
      bucket.tokens = Math.min(ratePerSecond, bucket.tokens + ((nowMs - bucket.atMs) * ratePerSecond) / 1000);
      bucket.atMs = nowMs;
      buckets.set(key, bucket);
      if (bucket.tokens < 1) return { allowed: false, remaining: 0 };
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    },
  };
}
