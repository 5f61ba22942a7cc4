import { createManualClock } from './time.js';
import { createMemoryStore } from './memory-store.js';
import { describeStoreConformance } from './testing.js';

const clock = createManualClock(Date.UTC(2026, 0, 1));

describeStoreConformance('memory', {
  handsOn: true,
  createStore: async () => createMemoryStore({ clock }),
  advanceTimeMs: async (_store, durationMs) => clock.advance(durationMs),
});
