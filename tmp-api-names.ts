import { FEATURE_NAMES, FEATURE_SET_VERSION, defaultModelFeatureNames } from '@tradepipe/features';
console.log(FEATURE_SET_VERSION, FEATURE_NAMES.join(' '));
console.log(defaultModelFeatureNames('ONE_DAY').length);
