import { createManualClock, createMemoryStore, isTradepipeError } from '@tradepipe/core';
import { describe, expect, it } from 'vitest';
import { runOperatorCommand } from './operator.js';

describe('operator commands', () => {
  it('engages, reports and releases the shared kill switch', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const store = createMemoryStore({ clock });
    expect(JSON.parse(await runOperatorCommand(['kill-switch', 'status'], store, clock)).killSwitch.engaged).toBe(false);
    const engaged = JSON.parse(await runOperatorCommand(['kill-switch', 'engage', '--mode', 'flatten', '--reason', 'exchange incident'], store, clock));
    expect(engaged.killSwitch).toMatchObject({ engaged: true, mode: 'flatten', reason: 'exchange incident' });
    expect((await store.getRiskState()).killSwitch.engaged).toBe(true);
    await runOperatorCommand(['kill-switch', 'release', '--reason', 'resolved'], store, clock);
    expect((await store.getRiskState()).killSwitch.engaged).toBe(false);
  });

  it('refuses a change without a reason, an unknown mode or command', async () => {
    const store = createMemoryStore();
    for (const args of [['kill-switch', 'engage', '--mode', 'flatten'], ['kill-switch', 'engage', '--mode', 'panic', '--reason', 'x'], ['rm', '-rf']]) {
      const error = await runOperatorCommand(args, store).catch((thrown: unknown) => thrown);
      expect(isTradepipeError(error, 'validation_failed'), args.join(' ')).toBe(true);
    }
    expect((await store.getRiskState()).killSwitch.engaged).toBe(false);
  });
});
