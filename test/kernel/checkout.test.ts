// Issue 30, point 3: one kernel name ("deepagrel") for every checkout, the last `npm run kernel`
// wins. A notebook of another checkout used to run its own sources on this checkout's kernel and
// fail with messages pointing elsewhere; now every cell gets one line: which checkout this kernel
// serves, and how to switch. Notebooks of this checkout (also through a copied folder whose `src`
// links here, as the browser test has) and notebooks outside any checkout run as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelClient, PROJECT_ROOT } from './client.ts';
import { tempDir } from '../tmp-dir.ts';

/** A second checkout's notebook folder: package.json of the workbook, notebooks/src → its own src. */
function otherCheckout(): { root: string; notebooks: string } {
  const root = join(tempDir('deepagrel-other-checkout-'), 'deepagrel');
  mkdirSync(join(root, 'src'), { recursive: true });
  mkdirSync(join(root, 'notebooks'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'deepagrel-workbook', version: '0.0.1' }));
  symlinkSync('../src', join(root, 'notebooks', 'src'));
  return { root: realpathSync(root), notebooks: join(root, 'notebooks') };
}

test('a notebook of another checkout: every cell fails with one line naming both checkouts and how to switch', async () => {
  const other = otherCheckout();
  const k = await KernelClient.start(other.notebooks);
  try {
    for (const code of ["import { showFigure } from './src/plots/display.ts';", '6 * 7']) {
      const id = k.execute(code);
      const reply = await k.done(id);
      assert.equal(reply.content.status, 'error');
      const errors = k.outputs(id).filter((m) => m.header.msg_type === 'error');
      assert.equal(errors.length, 1);
      assert.equal(errors[0].content.ename, 'WrongCheckout');
      assert.equal(errors[0].content.traceback.length, 1, errors[0].content.traceback.join('\n'));
      const line = errors[0].content.traceback[0] as string;
      assert.ok(line.includes(realpathSync(PROJECT_ROOT)) && line.includes(other.root), line);
      assert.match(line, new RegExp(`cd ${other.root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} && npm run kernel, then Kernel ▸ Restart Kernel`));
      assert.equal(k.outputs(id).filter((m) => m.header.msg_type === 'execute_result').length, 0);
      await new Promise((r) => setTimeout(r, 400));   // tslab drops requests within 200 ms of an error
    }
  } finally { await k.close(); }
});

test('this checkout through a copied notebook folder, and a folder outside any checkout, run as usual', async () => {
  const copy = tempDir('deepagrel-copied-notebooks-');
  symlinkSync(join(PROJECT_ROOT, 'src'), join(copy, 'src'));
  for (const cwd of [copy, tempDir('deepagrel-no-checkout-')]) {
    const k = await KernelClient.start(cwd);
    try {
      const id = k.execute('6 * 7');
      assert.equal((await k.done(id)).content.status, 'ok', `${cwd}: ${k.stderrOf(id)}`);
      assert.equal(k.outputs(id).find((m) => m.header.msg_type === 'execute_result')?.content.data['text/plain'], '42');
    } finally { await k.close(); }
  }
});
