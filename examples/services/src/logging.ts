import { createJsonLogger, systemClock, type LogLevel, type Logger } from '@tradepipe/core';

/** JSON lines on stdout through core's redacting logger, each with the service name. */
export function createServiceLogger(service: string, level: LogLevel, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Logger {
  return createJsonLogger({ write, level, nowMs: () => systemClock.nowMs(), fields: { service } });
}
