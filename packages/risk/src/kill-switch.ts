import type { KillSwitchMode, PipelineStore, RiskState } from '@tradepipe/core';

/**
 * Engages the kill switch in the store, where every replica sees it. `freeze` refuses new exposure;
 * `flatten` also makes the exit policy sell every open position (origin rule `kill_switch`). Reducing
 * orders stay allowed in both modes.
 * @returns the new risk state
 * @throws TradepipeError `validation_failed` or the store's errors.
 * @example
 * await engageKillSwitch(store, { mode: 'flatten', reason: 'exchange incident', nowMs: clock.nowMs() });
 */
export async function engageKillSwitch(
  store: PipelineStore,
  options: { readonly mode: KillSwitchMode; readonly reason?: string; readonly nowMs: number },
): Promise<RiskState> {
  return store.updateRiskState({
    killSwitch: { engaged: true, mode: options.mode, ...(options.reason === undefined ? {} : { reason: options.reason.slice(0, 1000) }), changedAtMs: options.nowMs },
    updatedAtMs: options.nowMs,
  });
}

/**
 * Releases the kill switch (keeping its last mode). The reason, when given, replaces the engagement's as the
 * state's `reason`: the state says why it was last changed.
 * @returns the new risk state
 * @throws TradepipeError the store's errors.
 * @example
 * await releaseKillSwitch(store, { reason: 'incident over', nowMs: clock.nowMs() });
 */
export async function releaseKillSwitch(store: PipelineStore, options: { readonly reason?: string; readonly nowMs: number }): Promise<RiskState> {
  const current = await store.getRiskState();
  return store.updateRiskState({
    killSwitch: { engaged: false, mode: current.killSwitch.mode, ...(options.reason === undefined ? {} : { reason: options.reason.slice(0, 1000) }), changedAtMs: options.nowMs },
    updatedAtMs: options.nowMs,
  });
}
