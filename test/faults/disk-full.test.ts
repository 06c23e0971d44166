// Defects 1, 2, 6 and 9 of issue 16: a full results disk or a full checkpoint disk mid-run. The
// run must stop with one error naming the file, leave nothing half-written committed (no partial
// epoch line, no truncated checkpoint, no temp file keeping the disk full), and resume to an
// uninterrupted run's records once space is freed. Also: a read-only results folder is named as such.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunText } from '../../src/results/reader.ts';
import { loadCheckpoint } from '../../src/checkpoint.ts';
import { smallVolume, fill } from './volumes.ts';
import { runChild, strip, runFile, ckptFile } from './child.ts';
import { tempDir } from '../tmp-dir.ts';

const EPOCHS = 40;
const tmp = tempDir;

for (const full of ['results', 'ck'] as const) {
  test(`disk full on the ${full === 'ck' ? 'checkpoint' : 'results'} volume: one clear error, nothing half-written, resumes after space is freed`, { timeout: 180_000 }, async t => {
    const vol = smallVolume(full === 'ck' ? 256 : 128);
    if (typeof vol === 'string') { t.skip(vol); return; }
    try {
      const dirs = { results: path.join(tmp('deepagrel-df-'), 'results'), ck: path.join(tmp('deepagrel-df-'), 'ck') };
      dirs[full] = path.join(vol.dir, full);
      let filler = '';
      // Fill the volume once a checkpoint is there: on the checkpoint volume right after the first
      // (a later save first frees the previous one's space), on the results volume after two epochs.
      const fillLater = () => {
        const t = setInterval(() => {
          const ok = fs.existsSync(ckptFile(dirs.ck, 1)) && (full === 'ck' || fs.readFileSync(runFile(dirs.results, 1), 'utf8').split('"type":"epoch"').length > 2);
          if (ok) { clearInterval(t); filler = fill(vol.dir); }
        }, 5);
      };
      const failed = await runChild(dirs, 1, EPOCHS, { onStarted: fillLater });
      assert.equal(failed.code, 1, `the run should stop on the full disk: ${failed.stderr}`);
      const errLine = failed.stderr.split('\n').find(l => l.startsWith('error:')) ?? '';
      const named = full === 'ck' ? ckptFile(dirs.ck, 1) : runFile(dirs.results, 1);
      assert.ok(errLine.includes(named), `the error names ${named}: ${errLine}`);
      assert.match(errLine, /no space left on the device \(ENOSPC\)/);

      const text = fs.readFileSync(runFile(dirs.results, 1), 'utf8');
      const parsed = parseRunText(text, 'run');
      assert.equal(parsed.droppedPartialLine, false, 'no partial epoch line in the run file');
      const ck = loadCheckpoint(ckptFile(dirs.ck, 1));          // the committed checkpoint is whole
      assert.ok(ck.state.epoch <= parsed.record.epochs.length, `checkpoint epoch ${ck.state.epoch} ≤ epochs in the file ${parsed.record.epochs.length}`);
      assert.ok(ck.state.epoch < EPOCHS);
      const strays = fs.readdirSync(path.join(dirs.ck, 'faults')).filter(f => /tmp/.test(f));
      assert.deepEqual(strays, [], 'no temp file left to keep the disk full');

      fs.rmSync(filler);
      const again = await runChild(dirs, 1, EPOCHS);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, new RegExp(`started after epoch ${ck.state.epoch}\\b`));
      const clean = { results: path.join(tmp('deepagrel-df-'), 'r'), ck: path.join(tmp('deepagrel-df-'), 'c') };
      assert.equal((await runChild(clean, 1, EPOCHS)).code, 0);
      assert.deepEqual(strip(runFile(dirs.results, 1)), strip(runFile(clean.results, 1)));
      assert.deepEqual(loadCheckpoint(ckptFile(dirs.ck, 1)), loadCheckpoint(ckptFile(clean.ck, 1)));
    } finally { vol.dispose(); }
  });
}

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

test('a read-only results folder: exit 2 and "read-only", naming --results', { timeout: 60_000 }, t => {
  const vol = smallVolume(64, true);
  if (typeof vol === 'string') { t.skip(vol); return; }
  try {
    const r = spawnSync(process.execPath, [...process.execArgv, cli, 'train', '--preset', 'mnist-fc-deepagrel', '--per-class', '10', '--val-size', '100',
      '--epochs', '1', '--backend', 'cpu', '--results', path.join(vol.dir, 'results'), '--checkpoints', tmp('deepagrel-ro-')], { encoding: 'utf8', timeout: 50_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--results .*read-only file system \(EROFS\)/);
  } finally { vol.dispose(); }
});

test('a run left by the old writer (epoch line lost, checkpoint ahead of the file) starts over instead of failing forever', async () => {
  const { runExperiment } = await import('../../src/train.ts');
  const { resolvePreset } = await import('../../src/presets.ts');
  const { useBackend } = await import('../engine/backends.ts');
  const { quadrantDataset } = await import('../helpers.ts');
  await useBackend('cpu');
  const cfg = resolvePreset('mnist-fc-deepagrel', { layers: [{ type: 'dense', units: 12 }], init: 0.3, lr: 0.5, batchSize: 16, valSize: 40, maxEpochs: 4, patience: 10 });
  const ds = quadrantDataset(120, 40);
  const opts = (d: string) => ({ seed: 5, dataset: ds, experiment: 'lost', resultsRoot: d, checkpointRoot: d });
  const clean = await runExperiment(cfg, opts(tmp('deepagrel-lost-')));
  clean.network?.dispose();
  const d = tmp('deepagrel-lost-');
  (await runExperiment(cfg, { ...opts(d), haltAfterEpochs: 2 })).network?.dispose();
  const file = path.join(d, 'lost', 'mnist-fc-deepagrel-s5.jsonl');
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, text.slice(0, text.lastIndexOf('{"type":"epoch","epoch":2')) + '{"type":"epoch","epo');   // what a short write left
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (...a: unknown[]) => { warnings.push(a.join(' ')); };
  try {
    const res = await runExperiment(cfg, opts(d));
    res.network?.dispose();
    const ess = (r: any) => ({ epochs: r.epochs.map(({ wallTimeSec, samplesPerSec, ...e }: any) => e), test: r.end.testAccuracy, status: r.end.status });
    assert.deepEqual(ess(res.record), ess(clean.record));
  } finally { console.warn = warn; }
  assert.match(warnings.join('\n'), /checkpoint is after epoch 2 but .* has epochs 1\.\.1 .*starting the run over/);
});
