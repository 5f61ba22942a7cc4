import { describe, expect, it } from 'vitest';
import type { PerformanceMetrics } from '@tradepipe/core';
import { METRIC_ROWS } from './report-tables.js';

const show = (label: string, metrics: Partial<PerformanceMetrics>): string => METRIC_ROWS.find((row) => row.label === label)!.show(metrics as PerformanceMetrics);

describe('metrics table rows', () => {
  it('tells a profit factor without a losing trip from a run without trips', () => {
    expect(show('Profit factor', { roundTrips: 3, profitFactor: null })).toBe('no loss');
    expect(show('Profit factor', { roundTrips: 0, profitFactor: null })).toBe('–');
    expect(show('Profit factor', { roundTrips: 3, profitFactor: 1.5 })).toBe('1.50');
  });

  it('shows an undefined CAGR (a period under a month) as a dash', () => {
    expect(show('CAGR', { cagrFraction: null })).toBe('–');
  });
});
