import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { approvalPayload, createEd25519ApprovalSigner, createHmacApprovalSigner, verifyRiskApproval } from './approval.js';
import { canonicalJson } from './ids.js';
import { decimal } from './decimal.js';
import { isTradepipeError } from './errors.js';
import { createMemoryStore } from './memory-store.js';
import { recordOrderIntent } from './order-intent.js';
import { createManualClock } from './time.js';
import { createTestApprovalSigner, testApproval, testAssessment, testRecommendation } from './testing/fixtures.js';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return isTradepipeError(error) ? error.code : 'not a TradepipeError';
  }
}

async function codeOfAsync(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (isTradepipeError(error) ? error.code : 'not a TradepipeError'),
  );
}

describe('risk approvals', () => {
  const signer = createTestApprovalSigner();
  const recommendation = testRecommendation();
  const { approval } = testApproval(recommendation, { signer });
  const nowMs = approval.issuedAtMs + 1;

  it('verify when untouched', () => {
    expect(verifyRiskApproval(signer, approval, nowMs)).toBe(approval);
  });

  it('refuse missing, forged, altered, foreign and expired approvals', () => {
    expect(codeOf(() => verifyRiskApproval(signer, undefined, nowMs))).toBe('approval_invalid');
    expect(codeOf(() => verifyRiskApproval(signer, { ...approval, signature: 'A'.repeat(43) }, nowMs))).toBe('approval_invalid');
    expect(codeOf(() => verifyRiskApproval(signer, { ...approval, maxQuoteAmount: decimal('100000') }, nowMs))).toBe('approval_invalid');
    expect(codeOf(() => verifyRiskApproval(signer, { ...approval, productId: 'ETH-USD' }, nowMs))).toBe('approval_invalid');
    const other = createHmacApprovalSigner({ keyId: signer.keyId, secret: 'another-secret-of-at-least-32-bytes!!' });
    const forged = testApproval(recommendation, { signer: other }).approval;
    expect(codeOf(() => verifyRiskApproval(signer, forged, nowMs))).toBe('approval_invalid');
    expect(codeOf(() => verifyRiskApproval(signer, approval, approval.expiresAtMs))).toBe('approval_expired');
  });

  it('sign with Ed25519 and verify with the public key alone', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const riskSigner = createEd25519ApprovalSigner({ keyId: 'ed', privateKeyPem });
    const executorVerifier = createEd25519ApprovalSigner({ keyId: 'ed', publicKeyPem });
    const signed = testApproval(recommendation, { signer: riskSigner }).approval;
    expect(verifyRiskApproval(executorVerifier, signed, nowMs).id).toBe(signed.id);
    expect(codeOf(() => verifyRiskApproval(executorVerifier, { ...signed, side: 'SELL', maxBaseSize: decimal('1') }, nowMs))).toBe('approval_invalid');
    expect(codeOf(() => executorVerifier.sign(signed))).toBe('config_invalid');
  });

  it('refuse a short HMAC secret', () => {
    expect(codeOf(() => createHmacApprovalSigner({ keyId: 'k', secret: 'short' }))).toBe('config_invalid');
  });
});

describe('recordOrderIntent', () => {
  async function setup() {
    const clock = createManualClock(Date.UTC(2025, 0, 1, 1));
    const store = createMemoryStore({ clock });
    const signer = createTestApprovalSigner();
    const recommendation = testRecommendation();
    const { approval, reservation } = testApproval(recommendation, { signer, issuedAtMs: clock.nowMs(), ttlMs: 60_000 });
    await store.recordRiskDecision({ assessment: testAssessment(recommendation), approval, reservation });
    const intent = (presented: typeof approval | undefined) =>
      recordOrderIntent({ store, signer, nowMs: clock.nowMs(), recommendation, approval: presented, venue: 'paper' });
    return { clock, store, signer, recommendation, approval, intent };
  }

  it('records the intent once and refuses the approval after that', async () => {
    const { store, approval, intent } = await setup();
    const order = await intent(approval);
    expect(order).toMatchObject({ status: 'INTENT_RECORDED', quoteSize: '100', clientOrderId: approval.clientOrderId });
    expect(await codeOfAsync(intent(approval))).toBe('approval_consumed');
    expect(await store.countOrdersSince(0)).toBe(1);
  });

  it('refuses missing, forged, altered and expired approvals without recording anything', async () => {
    const { clock, store, approval, intent } = await setup();
    expect(await codeOfAsync(intent(undefined))).toBe('approval_invalid');
    expect(await codeOfAsync(intent({ ...approval, signature: approval.signature.split('').reverse().join('') }))).toBe('approval_invalid');
    expect(await codeOfAsync(intent({ ...approval, maxQuoteAmount: decimal('1000') }))).toBe('approval_invalid');
    const stranger = testApproval(testRecommendation({ index: 5 }), { issuedAtMs: clock.nowMs() }).approval;
    expect(await codeOfAsync(intent(stranger))).toBe('approval_invalid');
    clock.advance(60_000);
    expect(await codeOfAsync(intent(approval))).toBe('approval_expired');
    expect(await store.countOrdersSince(0)).toBe(0);
  });
});

describe('approvalPayload', () => {
  it('is the canonical JSON of the signed fields, with or without the optional ones and for nested values', () => {
    const base = { id: 'apv_1', recommendationId: 'rec_1', clientOrderId: 'c-1', productId: 'BTC-USD', side: 'BUY' as const, issuedAtMs: 1, expiresAtMs: 2 };
    const reference = (payload: Record<string, unknown>): string => {
      const { recommendationId, clientOrderId, productId, side, maxQuoteAmount, maxBaseSize, issuedAtMs, expiresAtMs, id } = payload;
      return canonicalJson({ v: 1, id, recommendationId, clientOrderId, productId, side, maxQuoteAmount, maxBaseSize, issuedAtMs, expiresAtMs });
    };
    for (const payload of [
      { ...base, maxQuoteAmount: '100' },
      { ...base, side: 'SELL' as const, maxBaseSize: '0.5' },
      { ...base, maxQuoteAmount: '100', maxBaseSize: '1', keyId: 'k', algorithm: 'HMAC-SHA256', signature: 'x' },
      { ...base, maxQuoteAmount: { z: 1, a: [{ y: 2, b: 3 }] } },
    ]) {
      expect(approvalPayload(payload as never)).toBe(reference(payload));
    }
  });
});
