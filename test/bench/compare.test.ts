// The engine comparison's logic on synthetic numbers (bench/compare-summary.ts, bench/compare.ts's
// text, bench/report.ts's targets): PyTorch's best per round at any thread count, per core against
// 1-thread configurations only, medians of within-round ratios, GFLOP/s as fractions of the peak.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gflopFigures, summarizeRule, type RunnerMeta } from '../../bench/compare-summary.ts';
import { attachGflops, buildLines, compareTable, gflopTable, headlineLines, pytorchConfigTable, roundLines, runnersFor, type CompareArch } from '../../bench/compare.ts';
import { checkTargets } from '../../bench/report.ts';
import { pytorchConfigs } from '../../bench/pytorch-configs.ts';

const runners: RunnerMeta[] = [
  { key: 'native-1t', engine: 'native', threads: 1, label: 'native, 1 thread' },
  { key: 'native-2t', engine: 'native', threads: 2, label: 'native, 2 threads' },
  { key: 'wasm-2t', engine: 'wasm', threads: 2, label: 'wasm, 2 threads' },
  { key: 'torchA-1t', engine: 'pytorch', threads: 1, label: 'torch A, 1 thread' },
  { key: 'torchA-2t', engine: 'pytorch', threads: 2, label: 'torch A, 2 threads' },
  { key: 'torchB-1t', engine: 'pytorch', threads: 1, label: 'torch B, 1 thread' },
  { key: 'torchB-2t', engine: 'pytorch', threads: 2, label: 'torch B, 2 threads' },
];
// Three rounds. Round 0: PyTorch's fastest is a 1-thread config (torchA-1t 60) while its 2-thread
// ones are slower (the situation issue 28 is about); round 1: torchB-2t 50; round 2: torchB-1t 55.
const roundsMs: Record<string, (number | null)[]> = {
  'native-1t': [54, 55, 66],
  'native-2t': [33, 30, 44],
  'wasm-2t': [150, 120, 176],
  'torchA-1t': [60, 70, 62],
  'torchA-2t': [90, 80, 100],
  'torchB-1t': [66, 61, 55],
  'torchB-2t': [95, 50, 70],
};
const samples = Object.fromEntries(Object.entries(roundsMs).map(([k, v]) => [k, v.flatMap(x => x == null ? [] : [x - 1, x, x + 1])]));

test('PyTorch\'s best per round is its fastest configuration at any thread count; per core only among 1-thread ones', () => {
  const rc = summarizeRule('deepagrel', runners, samples, roundsMs, 3);
  assert.deepEqual(rc.rounds.map(r => r.pytorchBest), [{ key: 'torchA-1t', ms: 60 }, { key: 'torchB-2t', ms: 50 }, { key: 'torchB-1t', ms: 55 }]);
  assert.deepEqual(rc.rounds.map(r => r.pytorchBestAt['1']?.key), ['torchA-1t', 'torchB-1t', 'torchB-1t']);
  assert.deepEqual(rc.rounds.map(r => r.pytorchBestAt['2']?.key), ['torchA-2t', 'torchB-2t', 'torchB-2t']);
  // native 2t / best: 33/60, 30/50, 44/55 → 0.55, 0.6, 0.8 → median 0.6
  assert.deepEqual(rc.rounds.map(r => r.vsPytorchBest['2']), [0.55, 0.6, 0.8]);
  assert.equal(rc.vsPytorchBest['2'], 0.6);
  // per core: 54/60, 55/61, 66/55 → 0.9, 0.902, 1.2 → 0.902
  assert.deepEqual(rc.rounds.map(r => r.vsPytorchSameThreads['1']), [0.9, 0.902, 1.2]);
  assert.equal(rc.perCore, 0.902);
  // the old number: 2 threads against PyTorch's 2 threads only (33/90, 30/50, 44/70)
  assert.deepEqual(rc.rounds.map(r => r.vsPytorchSameThreads['2']), [0.367, 0.6, 0.629]);
  assert.equal(rc.vsPytorchSameThreads['2'], 0.6);
  assert.equal(rc.nativeVsWasm['2'], 0.25);
  assert.equal(rc.nativeVsWasm['1'], null);                       // no wasm-1t runner
  assert.equal(rc.pytorchBest.ms, 55);                             // median of 60, 50, 55
  assert.deepEqual(rc.pytorchBest.wins, { 'torchA-1t': 1, 'torchB-2t': 1, 'torchB-1t': 1 });
  // a three-way tie in wins goes to the lowest median over all samples
  assert.equal(rc.pytorchBest.key, 'torchB-1t');
  assert.equal(rc.pytorchBestAt['1'].key, 'torchB-1t');
  assert.equal(rc.pytorchBestAt['1'].ms, 60);                      // median of 60, 61, 55
  assert.equal(rc.pytorchBestAt['2'].ms, 70);                      // median of 90, 50, 70
});

test('a runner missing in a round is left out of that round only', () => {
  const r = { ...roundsMs, 'torchB-2t': [95, null, 70], 'native-2t': [33, 30, null] };
  const rc = summarizeRule('deepagrel', runners, samples, r, 3);
  assert.deepEqual(rc.rounds[1].pytorchBest, { key: 'torchB-1t', ms: 61 });
  assert.deepEqual(rc.rounds.map(x => x.vsPytorchBest['2']), [0.55, 0.492, null]);
  assert.equal(rc.vsPytorchBest['2'], 0.521);                      // median of the two rounds that have both
  assert.deepEqual(rc.roundsMs['native-2t'], [33, 30, null]);
  const none = summarizeRule('deepagrel', runners.filter(x => x.engine !== 'pytorch'), samples, roundsMs, 3);
  assert.equal(none.vsPytorchBest['2'], null);
  assert.equal(none.perCore, null);
  assert.equal(none.pytorchBest.key, null);
});

test('GFLOP/s and their share of the sgemm peak', () => {
  const rc = summarizeRule('deepagrel', runners, samples, roundsMs, 3);
  const g = gflopFigures(rc, runners, 4.5e9, { 1: 100, 2: 180 });
  // native 2t median of all samples: 33±1, 30±1, 44±1 → 33 ms → 4.5 GFLOP / 0.033 s = 136.4 GFLOP/s
  assert.deepEqual(g.native['2'], { gflopPerSec: 136.4, threads: 2, ofPeak: 0.758, ofMachinePeak: 0.758 });
  assert.deepEqual(g.native['1'], { gflopPerSec: 81.8, threads: 1, ofPeak: 0.818, ofMachinePeak: 0.455 });
  // PyTorch best 55 ms, won most by torchB-1t (1 thread): 81.8 GFLOP/s, of the 1-thread peak
  assert.deepEqual(g.pytorchBest, { gflopPerSec: 81.8, threads: 1, ofPeak: 0.818, ofMachinePeak: 0.455 });
  assert.deepEqual(g.pytorchBest1t, { gflopPerSec: 75, threads: 1, ofPeak: 0.75, ofMachinePeak: 0.417 });   // 60 ms
  const noPeak = gflopFigures(rc, runners, 4.5e9, {});
  assert.equal(noPeak.native['2']?.ofPeak, null);
  assert.equal(noPeak.native['2']?.gflopPerSec, 136.4);
});

function syntheticArch(): CompareArch {
  const rules = (['deepagrel', 'ebp'] as const).map(rule => summarizeRule(rule, runners, samples, roundsMs, 3));
  return {
    arch: 'mnist-conv', flopsPerStep: 4.5e9, roundsRun: 3, rules,
    runners: runners.map(r => ({ ...r, cpuPerWall: r.threads === 1 ? 0.98 : 1.9 })),
    evalImagesPerSec: { 'native-2t': 9000, 'wasm-2t': 2000, 'torchA-1t': 3000 },
    nativeDeepagrelVsEbp: { 1: 1, 2: 1 }, unavailable: {},
  };
}

test('report text: the tables, the rounds and the one-line summary carry the selected numbers', () => {
  const a = syntheticArch();
  attachGflops([a], { 1: 100, 2: 180 });
  const t = compareTable([a]);
  assert.match(t, /\| native 1t ms \| native 2t ms \| wasm 1t ms \| wasm 2t ms \| PyTorch best ms \(config\) \| PyTorch best 1t ms \| PyTorch best 2t ms \| native 1t \/ PyTorch best \| native 2t \/ PyTorch best \| per core: native 1t \/ PyTorch 1t \| native \/ wasm \(2t\) \|/);
  assert.match(t, /\| mnist-conv \| deepagrel \| 55\.0 \| 33\.0 \| – \| 150\.0 \| 55\.0 \(torchB-1t\) \| 60\.0 \| 70\.0 \| 1\.10× \| 0\.60× \| 0\.90× \| 0\.25× \|/);
  const c = pytorchConfigTable([a]);
  assert.match(c, /\| mnist-conv \| torch B, 1 thread \| torchB-1t \| 61\.0 \| 61\.0 \| 1\/3 \| 1\/3 \| 0\.98 \| – \|/);
  assert.match(c, /\| mnist-conv \| torch A, 1 thread \| torchA-1t \| 62\.0 \| 62\.0 \| 1\/3 \| 1\/3 \| 0\.98 \| 3000 \|/);
  const rl = roundLines([a]);
  assert.equal(rl[0], '- mnist-conv deepagrel: native 1t / PyTorch best 0.90, 1.10, 1.20 → 1.100; native 2t / PyTorch best 0.55, 0.60, 0.80 → 0.600; per core 0.90, 0.90, 1.20 → 0.902; PyTorch\'s fastest per round: torchA-1t, torchB-2t, torchB-1t');
  assert.match(gflopTable([a]), /\| mnist-conv \| deepagrel \| 4\.50 \| 81\.8 \(82%\) \| 136\.4 \(76%\) \| 81\.8 \(82% of 1t\) \| 75\.0 \(75%\) \|/);
  assert.equal(headlineLines([a])[0], 'mnist-conv deepagrel: native 2t 33.0 ms = 0.60× PyTorch\'s best (55.0 ms, torch B, 1 thread); per core 55.0 vs 60.0 ms = 0.90×; ' +
    'GFLOP/s native 1t 81.8 (82%), 2t 136.4 (76%), PyTorch best 81.8 (82%)');
});

test('targets: 2 threads vs PyTorch\'s best ≤ 0.6×, per core ≤ 0.9×, and by how much one is missed', () => {
  const a = syntheticArch();
  const t = checkTargets([], undefined, [a]);
  const best = t.find(x => x.name.includes('PyTorch\'s best configuration'))!;
  assert.equal(best.value, 0.6); assert.equal(best.limit, 0.6); assert.equal(best.pass, true);
  assert.match(best.text, /PyTorch best 55 ms: torch B, 1 thread/);
  const core = t.find(x => x.name.includes('per core'))!;
  assert.equal(core.value, 0.902); assert.equal(core.pass, false);
  assert.match(core.text, /✗ .*0\.902× \(≤ 0\.9×\), misses by 0\.002× \(0\.2%\)/);
  const ev = t.find(x => x.name.includes('evaluation'))!;
  assert.equal(ev.value, 4.5); assert.equal(ev.pass, true);
  assert.equal(checkTargets([], undefined, []).find(x => x.name.includes('per core'))!.pass, null);
});

test('runners: ours at each thread count, then every PyTorch configuration', () => {
  const configs = pytorchConfigs([{ python: '/p', torch: '1.13', blas: 'MKL', pythonVersion: '3.11' }], [1, 2], {});
  const rs = runnersFor({ engines: ['native', 'wasm', 'pytorch'], threads: [1, 2] }, configs);
  assert.deepEqual(rs.map(r => r.key), ['native-1t', 'native-2t', 'wasm-1t', 'wasm-2t', 'torch1.13-1t', 'torch1.13-2t', 'torch1.13-2t-spin30k']);
  assert.equal(rs.find(r => r.key === 'torch1.13-2t')!.cmd, '/p');
  assert.deepEqual(runnersFor({ engines: ['native'], threads: [2] }, configs).map(r => r.key), ['native-2t']);
});

test('--native-dir: another build runs beside ours at each thread count, stays out of the PyTorch ratios, and gets its own within-round ratio', () => {
  const rs = runnersFor({ engines: ['native', 'pytorch'], threads: [1, 2], nativeDirs: ['/b/native'] }, []);
  assert.deepEqual(rs.map(r => r.key), ['native-1t', 'native-2t', 'native-build2-1t', 'native-build2-2t']);
  const other = rs.find(r => r.key === 'native-build2-2t')!;
  assert.deepEqual([other.engine, other.build, other.env], ['native', '/b/native', { DEEPAGREL_NATIVE_DIR: '/b/native' }]);
  assert.deepEqual(runnersFor({ engines: ['wasm'], threads: [1], nativeDirs: ['/b/native'] }, []).map(r => r.key), ['wasm-1t'], 'no native engine, no other build');
  // The other build is far faster: if it counted as "native", the ratios to PyTorch would change.
  const withBuild: RunnerMeta[] = [...runners, { key: 'native-build2-2t', engine: 'native', threads: 2, label: 'other', build: '/b/native' }];
  const ms = { ...roundsMs, 'native-build2-2t': [11, 15, 22] };
  const smp = { ...samples, 'native-build2-2t': [11, 15, 22] };
  const rc = summarizeRule('deepagrel', withBuild, smp, ms, 3);
  assert.deepEqual(rc.rounds.map(r => r.vsPytorchBest['2']), [0.55, 0.6, 0.8]);
  const a: CompareArch = { ...syntheticArch(), runners: withBuild.map(r => ({ ...r, versions: { onednn: r.build ? '3.7.2' : '2.6.3' } })), rules: [rc] };
  assert.deepEqual(buildLines([a]), ['  mnist-conv deepagrel 2t: /b/native (onednn 3.7.2) 15.0 ms vs this checkout\'s (onednn 2.6.3) 33.0 ms; per round 0.33, 0.50, 0.50 → 0.500']);
});
