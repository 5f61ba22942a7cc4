/**
 * @packageDocumentation
 * Test helpers for tradepipe users and store authors: the `PipelineStore` conformance suite (vitest) and
 * record fixtures.
 */
export { describeStoreConformance, type StoreConformanceHarness } from './testing/store-conformance.js';
export {
  FIXTURE_START_MS,
  createTestApprovalSigner,
  testApproval,
  testAssessment,
  testCandle,
  testFill,
  testOrderIntent,
  testProduct,
  testRecommendation,
  testSignal,
} from './testing/fixtures.js';
