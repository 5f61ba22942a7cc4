/** Formatting of report figures for people; `null` (a figure not defined on the data) shows as an en dash. */

const DASH = '–';

/** `+12.3 %`; `null` → `–`. */
export function formatPercent(value: number | null, digits = 1): string {
  if (value === null) return DASH;
  return `${value >= 0 ? '+' : ''}${(value * 100).toFixed(digits)} %`;
}

/** A plain ratio with two decimals; `null` → `–`. */
export function formatRatio(value: number | null): string {
  return value === null ? DASH : value.toFixed(2);
}

/** `$1,234.56` (negative as `−$1.00`); `null` → `–`. */
export function formatMoney(value: number | null): string {
  if (value === null) return DASH;
  const text = Math.abs(value).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${value < 0 ? '−' : ''}$${text}`;
}

/** A duration as `3 d 4 h`, `5 h 12 min` or `45 min`; `null` → `–`. */
export function formatDuration(durationMs: number | null): string {
  if (durationMs === null) return DASH;
  const minutes = Math.round(durationMs / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}

/** `2024-09-25` or `2024-09-25 13:05` (UTC) when the instant is not midnight. */
export function formatUtc(atMs: number): string {
  const iso = new Date(atMs).toISOString();
  return iso.slice(11, 16) === '00:00' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** An integer with thousands separators. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/**
 * The dead letters of a run by kind, the kinds with any only: `6 signals`, `1 candle, 2 recommendations`; `none`.
 * @param byKind dead-lettered items by kind, as in core's `DeadLetterSummary`
 */
export function formatDeadLetterKinds(byKind: Readonly<Record<'candle' | 'signal' | 'recommendation', number>>): string {
  const parts = (['candle', 'signal', 'recommendation'] as const).filter((kind) => byKind[kind] > 0).map((kind) => `${formatCount(byKind[kind])} ${kind}${byKind[kind] === 1 ? '' : 's'}`);
  return parts.join(', ') || 'none';
}
