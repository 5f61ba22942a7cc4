// Signal handling of the service program, installed before anything else loads (no imports beyond Node's):
// the service modules take a while to load (the ONNX runtime among them), and a SIGTERM that lands meanwhile
// must end the process cleanly, not by the signal's default action (exit code null).

/** Where the program is: loading its modules, starting (store, pipeline, server), or running. */
export type ProgramPhase = 'loading' | 'starting' | 'running';

/** What the program tells its signal handlers as it moves on. */
export interface ProgramSignals {
  /** The modules are loaded; the service is being started: a signal now waits for the start, then drains. */
  starting(): void;
  /** The service runs: a signal drains it with `stop` (and one that came while starting does so now). */
  running(stop: () => Promise<void>): void;
}

/** What the handlers need from the process (injected so that tests drive them without signals). */
export interface SignalProcess {
  on(signal: 'SIGTERM' | 'SIGINT', handler: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): never;
  /** Writes one JSON log line. */
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Readonly<Record<string, unknown>>): void;
  nowMs(): number;
}

/** The message of the line logged once the handlers are installed (tests wait for it before a SIGTERM). */
export const SIGNALS_READY_MESSAGE = 'signal handlers installed';

/**
 * Installs SIGTERM/SIGINT handlers. While loading, a signal exits 0 at once (nothing is open yet); while
 * starting, it waits for the start and then drains; while running, it drains (`stop`), exiting 0, or 1 if the
 * drain fails. A second signal within 2 s is ignored (a terminal's Ctrl-C may arrive twice), a later one exits
 * 1 without drain.
 */
export function installSignalHandlers(target: SignalProcess): ProgramSignals {
  let phase: ProgramPhase = 'loading';
  let stop: (() => Promise<void>) | undefined;
  let requested = false;
  let firstSignalAtMs: number | undefined;
  const drain = (): void => {
    stop!().then(
      () => target.exit(0),
      (error: unknown) => {
        target.log('error', 'shutdown failed', { error: error instanceof Error ? error.message : String(error) });
        target.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstSignalAtMs !== undefined) {
      if (target.nowMs() - firstSignalAtMs < 2_000) return;
      target.log('warn', 'second signal: exiting without drain', { signal });
      return target.exit(1);
    }
    firstSignalAtMs = target.nowMs();
    target.log('info', 'shutdown requested', { signal, phase });
    if (phase === 'loading') target.exit(0);
    else if (phase === 'starting') requested = true;
    else drain();
  };
  target.on('SIGTERM', onSignal);
  target.on('SIGINT', onSignal);
  target.log('info', SIGNALS_READY_MESSAGE);
  return {
    starting: () => {
      phase = 'starting';
    },
    running: (stopService) => {
      phase = 'running';
      stop = stopService;
      if (requested) drain();
    },
  };
}

/** The real process, logging JSON lines shaped like the services' logger (`level`, `message`, `atMs`, `service`). */
export function nodeSignalProcess(service: string): SignalProcess {
  return {
    on: (signal, handler) => process.on(signal, handler),
    exit: (code) => process.exit(code),
    log: (level, message, fields = {}) => process.stdout.write(`${JSON.stringify({ level, message, atMs: Date.now(), service, ...fields })}\n`),
    nowMs: () => performance.now(),
  };
}
