import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('defaultModelPath under `-e` (a global __dirname of ".")', () => {
  it('still finds the model next to the package', async () => {
    const script = "import('@tradepipe/model').then((m) => process.stdout.write(m.defaultModelPath()))";
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--conditions=@tradepipe/source', '-e', script], { cwd: root, timeout: 120_000 });
    expect(stdout).toMatch(/packages\/model\/models\/btc-usd-1d-default\.onnx$/);
  }, 180_000);
});
