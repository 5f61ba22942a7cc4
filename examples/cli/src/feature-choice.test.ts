import { FEATURE_NAMES } from '@tradepipe/features';
import { describe, expect, it } from 'vitest';
import { UsageError } from './cli-errors.js';
import { featureChoiceOption } from './feature-choice.js';

describe('featureChoiceOption', () => {
  it('defaults to the default model features of the granularity (no hour of day on daily candles)', () => {
    const daily = featureChoiceOption({}, 'features', 'ONE_DAY');
    expect(daily.kind).toBe('default');
    expect(daily.names).toHaveLength(49);
    expect(daily.names).not.toContain('hour_of_day_sin');
    expect(featureChoiceOption({ features: 'default' }, 'features', 'ONE_HOUR').names).toHaveLength(51);
    expect(featureChoiceOption({ features: 'all' }, 'features', 'ONE_DAY').names).toEqual(FEATURE_NAMES);
  });

  it('takes names in the order given', () => {
    const chosen = featureChoiceOption({ features: `${FEATURE_NAMES[3]}, ${FEATURE_NAMES[0]}` }, 'features', 'ONE_DAY');
    expect(chosen).toEqual({ kind: 'chosen', names: [FEATURE_NAMES[3], FEATURE_NAMES[0]] });
  });

  it('refuses unknown names with the list of valid ones, and a name given twice', () => {
    const read = (text: string) => () => featureChoiceOption({ features: text }, 'features', 'ONE_DAY');
    expect(read(`${FEATURE_NAMES[0]},atr_14`)).toThrow(UsageError);
    expect(read(`${FEATURE_NAMES[0]},atr_14`)).toThrow(new RegExp(`unknown feature 'atr_14' in --features; give default, all, or names among: ${FEATURE_NAMES[0]}, .*${FEATURE_NAMES.at(-1)}$`));
    expect(read('')).toThrow(/unknown feature ''/);
    expect(read(`${FEATURE_NAMES[1]},${FEATURE_NAMES[1]}`)).toThrow(/named twice/);
  });
});
