/**
 * @packageDocumentation
 * Test doubles for users of `@tradepipe/llm-validator`: a fake Ollama server speaking the real REST API,
 * scriptable per request. Import it in tests only.
 */
export { startFakeOllama, type FakeOllama, type FakeOllamaOptions, type FakeOllamaRequest } from './fake-ollama/server.js';
export { type FakeOllamaStep, type FakeVerdict } from './fake-ollama/steps.js';
