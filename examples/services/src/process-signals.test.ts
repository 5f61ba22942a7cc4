import { describe, expect, it } from 'vitest';
import { SIGNALS_READY_MESSAGE, installSignalHandlers, type SignalProcess } from './process-signals.js';

/** A process whose signals the test sends and whose exit it records. */
function fakeProcess() {
  const handlers = new Map<string, (signal: NodeJS.Signals) => void>();
  const exits: number[] = [];
  const messages: string[] = [];
  let nowMs = 0;
  const target: SignalProcess = {
    on: (signal, handler) => handlers.set(signal, handler),
    exit: (code) => {
      exits.push(code);
      return undefined as never;
    },
    log: (_level, message) => void messages.push(message),
    nowMs: () => nowMs,
  };
  const send = (signal: NodeJS.Signals): void => handlers.get(signal)!(signal);
  return { target, exits, messages, send, advance: (ms: number) => void (nowMs += ms) };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('installSignalHandlers (service program)', () => {
  it('says when it is installed, and exits 0 at once on a signal while the modules load', () => {
    const fake = fakeProcess();
    installSignalHandlers(fake.target);
    expect(fake.messages).toEqual([SIGNALS_READY_MESSAGE]);
    fake.send('SIGTERM');
    expect(fake.exits).toEqual([0]);
  });

  it('lets a start finish after a signal, then drains and exits 0', async () => {
    const fake = fakeProcess();
    const signals = installSignalHandlers(fake.target);
    signals.starting();
    fake.send('SIGTERM');
    expect(fake.exits).toEqual([]);
    let stopped = 0;
    expect(() =>
      signals.running(async () => {
        stopped += 1;
      }),
    ).not.toThrow();
    await settle();
    expect({ stopped, exits: fake.exits }).toEqual({ stopped: 1, exits: [0] });
  });

  it('drains a running service on SIGINT, exits 1 if the drain fails, and ignores a repeat within 2 s', async () => {
    const fake = fakeProcess();
    const signals = installSignalHandlers(fake.target);
    signals.starting();
    let stops = 0;
    signals.running(async () => {
      stops += 1;
      throw new Error('store gone');
    });
    fake.send('SIGINT');
    fake.send('SIGINT');
    await settle();
    expect({ stops, exits: fake.exits }).toEqual({ stops: 1, exits: [1] });
  });

  it('exits 1 without drain on a second signal 2 s after the first', () => {
    const fake = fakeProcess();
    const signals = installSignalHandlers(fake.target);
    signals.starting();
    signals.running(() => new Promise(() => undefined));
    fake.send('SIGTERM');
    fake.advance(2_500);
    fake.send('SIGTERM');
    expect(fake.exits).toEqual([1]);
  });
});
