// The service program: `node dist/main.js <service>` (or SERVICE=<service>). See ../README.md and docs/deployment.md.
// Signal handlers come first, before the service modules load (see process-signals.ts).
import { installSignalHandlers, nodeSignalProcess } from './process-signals.js';

const signals = installSignalHandlers(nodeSignalProcess(process.argv[2] ?? process.env.SERVICE ?? 'unknown'));
const { runProgram } = await import('./program.js');
await runProgram(process.argv.slice(2), signals);
