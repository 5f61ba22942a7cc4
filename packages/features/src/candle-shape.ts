const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const MINUTES_PER_DAY = 1_440;
const TWO_PI = 2 * Math.PI;

let minuteTable: Float64Array | undefined;
let weekdayTable: Float64Array | undefined;

/** Builds the sin and cos of each minute of the day and each weekday, once, with the same expressions as the slow path. */
function buildTables(): void {
  minuteTable = new Float64Array(2 * MINUTES_PER_DAY);
  for (let minute = 0; minute < MINUTES_PER_DAY; minute++) {
    const angle = (TWO_PI * (minute * MINUTE_MS)) / DAY_MS;
    minuteTable[2 * minute] = Math.sin(angle);
      minuteTable[2 * minute + 1] = Math.cos(angle);
  }
  weekdayTable = new Float64Array(14);
  for (let weekday = 0; weekday < 7; weekday++) {
    const angle = (TWO_PI * weekday) / 7;
    weekdayTable[2 * weekday] = Math.sin(angle);
    weekdayTable[2 * weekday + 1] = Math.cos(angle);
  }
}

/**
 * Writes the candle-shape features (indices 39–42): body, upper and lower wick as fractions of the
 * range, and the range relative to the close. A flat candle (high = low) has body and wicks 0.
 * @internal
 */
export function writeCandleShape(values: Float64Array, open: number, high: number, low: number, close: number): void {
  const range = high - low;
  if (range === 0) {
    values[39] = 0;
    values[40] = 0;
    values[41] = 0;
  } else {
    const top = open > close ? open : close;
    const bottom = open > close ? close : open;
    values[39] = (close - open) / range;
    values[40] = (high - top) / range;
    values[41] = (bottom - low) / range;
  }
  values[42] = range / close;
}

/**
 * Writes the calendar encodings (indices 47–50) of the candle's start, in UTC: time of day and day of
 * the week (Monday = 0) on the unit circle. Constant for daily candles (always midnight).
 * @internal
 */
export function writeTimeEncoding(values: Float64Array, startMs: number): void {
  const dayNumber = Math.floor(startMs / DAY_MS);
  const msOfDay = startMs - dayNumber * DAY_MS;
  const weekday = ((dayNumber | 0) + 3) % 7;
  if (minuteTable === undefined || weekdayTable === undefined) buildTables();
  const minute = msOfDay / MINUTE_MS;
  if (minute === (minute | 0)) {
    values[47] = minuteTable![2 * minute]!;
    values[48] = minuteTable![2 * minute + 1]!;
  } else {
    const angle = (TWO_PI * msOfDay) / DAY_MS;
    values[47] = Math.sin(angle);
    values[48] = Math.cos(angle);
  }
  values[49] = weekdayTable![2 * weekday]!;
  values[50] = weekdayTable![2 * weekday + 1]!;
}
