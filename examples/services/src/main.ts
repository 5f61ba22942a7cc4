// The service program: `node dist/main.js <service>` (or SERVICE=<service>). See ../README.md and docs/deployment.md.
import { runServiceProcess } from './service-process.js';

void runServiceProcess(process.argv.slice(2));
