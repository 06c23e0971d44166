// tempDir(): a test's temporary folder is gone once the test file's process exits, unless
// DEEPAGREL_KEEP_TEST_DIRS=1 asks to keep it for a post-mortem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const helper = pathToFileURL(new URL('./tmp-dir.ts', import.meta.url).pathname).href;
const child = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
  `import { tempDir } from '${helper}'; import * as fs from 'node:fs';
   const a = tempDir('deepagrel-tmpdir-test-'), b = tempDir('deepagrel-tmpdir-test-');
   fs.mkdirSync(a + '/sub'); fs.writeFileSync(a + '/sub/f', 'x'); console.log(a + '\\n' + b);`],
  { encoding: 'utf8', env: { ...process.env, ...env } });

test('tempDir: every folder it made is removed when the process exits', () => {
  const r = child({ DEEPAGREL_KEEP_TEST_DIRS: '' });
  assert.equal(r.status, 0, r.stderr);
  const dirs = r.stdout.trim().split('\n');
  assert.equal(dirs.length, 2);
  for (const d of dirs) assert.ok(!fs.existsSync(d), `${d} left behind`);
});

test('tempDir: DEEPAGREL_KEEP_TEST_DIRS=1 keeps them', () => {
  const r = child({ DEEPAGREL_KEEP_TEST_DIRS: '1' });
  assert.equal(r.status, 0, r.stderr);
  const dirs = r.stdout.trim().split('\n');
  for (const d of dirs) { assert.ok(fs.existsSync(d), `${d} removed`); fs.rmSync(d, { recursive: true, force: true }); }
});
