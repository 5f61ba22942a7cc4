import { syntheticMinuteCandles, trainMinuteModel } from '../examples/embedded/src/synthetic-minutes.js';
import { createFeatureSet } from '@tradepipe/features';
const model = await trainMinuteModel({ trainingCandles: 5000 });
const engine = createFeatureSet().createExtractor({ productId: 'BTC-USD', granularity: 'ONE_MINUTE' });
const vectors = [];
for (const c of syntheticMinuteCandles({ count: 12000, seed: 3, startMs: Date.UTC(2025, 0, 1) })) { const v = engine.update(c); if (v) vectors.push(v); }
const batch = vectors.slice(0, 8000);
const a = await model.predictBatch(batch);
const a2 = await model.predictBatch(batch);
const [b0, b1] = await Promise.all([model.predictBatch(batch), model.predictBatch(batch.slice(0, 3))]);
const diff = (x, y) => x.findIndex((p, i) => JSON.stringify(p) !== JSON.stringify(y[i]));
console.log('a vs a2', diff(a, a2), 'a vs b0', diff(a, b0), 'b1 vs a', diff(b1, a.slice(0, 3)), JSON.stringify(b1[0]), JSON.stringify(a[0]));
