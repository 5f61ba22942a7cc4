// The same packages through require(): every CommonJS entry loads and works.
const core = require('@tradepipe/core');
const names = ['@tradepipe/features', '@tradepipe/model', '@tradepipe/llm-validator', '@tradepipe/risk', '@tradepipe/coinbase', '@tradepipe/storage-pg'];
for (const name of names) require(name);
const clock = core.createManualClock(Date.UTC(2025, 0, 1));
const store = core.createMemoryStore({ clock });
store.putProduct({ productId: 'BTC-USD', baseCurrency: 'BTC', quoteCurrency: 'USD', baseIncrement: '0.00000001', quoteIncrement: '0.01', priceIncrement: '0.01', baseMinSize: '0.00000001', quoteMinSize: '1', status: 'online' })
  .then(() => store.getProduct('BTC-USD'))
  .then((product) => console.log(JSON.stringify({ product: product.productId, id: core.recordId('signal', ['a']), packages: names.length + 1 })));
