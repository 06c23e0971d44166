import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { gitInfo } from '../../src/results/provenance.ts';
import { tempDir } from '../tmp-dir.ts';

test('gitInfo: commit of HEAD, dirty only when a tracked file changes, undefined outside git', () => {
  const dir = tempDir('provenance-');
  try {
    assert.equal(gitInfo(dir), undefined);
    const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    git('init', '-q');
    fs.writeFileSync(path.join(dir, 'a.txt'), 'one\n');
    git('add', 'a.txt');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'first');
    assert.deepEqual(gitInfo(dir), { commit: git('rev-parse', 'HEAD'), dirty: false });
    fs.writeFileSync(path.join(dir, 'notes.log'), 'untracked\n');
    assert.equal(gitInfo(dir)?.dirty, false, 'untracked files do not make the tree dirty');
    fs.writeFileSync(path.join(dir, 'a.txt'), 'two\n');
    assert.equal(gitInfo(dir)?.dirty, true);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
