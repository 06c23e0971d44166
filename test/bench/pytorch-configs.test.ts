// Which PyTorch interpreters and configurations the bench runs (bench/pytorch-configs.ts), and the
// options that choose them (bench/options.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { applyEnv, candidatePythons, pytorchConfigs, type Interpreter } from '../../bench/pytorch-configs.ts';
import { defaultPytorchThreads, parseOptions } from '../../bench/options.ts';

const debian: Interpreter = { python: '/usr/bin/python3', torch: '1.13.0a0', blas: 'OpenBLAS pthreads', pythonVersion: '3.11.2' };
const wheel: Interpreter = { python: '/r/.cache/torch-venv/bin/python', torch: '2.13.0+cpu', blas: 'MKL', pythonVersion: '3.11.2' };

test('interpreters: the system Python and the torch venv when present, then --python ones, without duplicates', () => {
  const all = () => true;
  assert.deepEqual(candidatePythons([], '/r', all), ['/usr/bin/python3', '/r/.cache/torch-venv/bin/python']);
  assert.deepEqual(candidatePythons([], '/r', p => p === '/usr/bin/python3'), ['/usr/bin/python3']);
  assert.deepEqual(candidatePythons([], '/r', () => false), ['python3']);
  assert.deepEqual(candidatePythons(['/opt/a/python,/opt/b/python', '/usr/bin/python3', '/r/.cache/torch-venv/bin/../bin/python', '/opt/a/python'], '/r', all),
    ['/usr/bin/python3', '/r/.cache/torch-venv/bin/python', '/opt/a/python', '/opt/b/python']);
  // a missing explicit one is kept (the probe then says why it is skipped)
  assert.deepEqual(candidatePythons(['nope/python'], '/r', () => false), ['python3', 'nope/python']);
  assert.ok(path.isAbsolute(candidatePythons([], undefined, all)[1]));
});

test('configurations: threads × spin (above 1 thread); no OpenBLAS switch when the environment sets none', () => {
  const cs = pytorchConfigs([debian, wheel], [1, 2], { PATH: '/bin' });
  assert.deepEqual(cs.map(c => c.key), ['torch1.13.0a0-1t', 'torch1.13.0a0-2t', 'torch1.13.0a0-2t-spin30k', 'torch2.13.0-1t', 'torch2.13.0-2t', 'torch2.13.0-2t-spin30k']);
  assert.ok(cs.every(c => c.overrides === null));
  const c = cs[2];
  assert.deepEqual(c.env, { OMP_NUM_THREADS: '2', MKL_NUM_THREADS: '2', OPENBLAS_NUM_THREADS: '2', GOMP_SPINCOUNT: '30000' });
  assert.equal(c.label, 'torch 1.13.0a0 (OpenBLAS pthreads), 2 threads, spin 30k');
  assert.equal(cs[0].env.OPENBLAS_NUM_THREADS, '1');                // 1 thread pins OpenBLAS's pthreads too
  assert.equal(cs[3].python, wheel.python);
  assert.deepEqual(pytorchConfigs([debian], [2, 1, 2], {}, { spin: false }).map(c => c.key), ['torch1.13.0a0-1t', 'torch1.13.0a0-2t']);
});

test('configurations: OpenBLAS overrides on and off where the environment has them, for OpenBLAS builds only', () => {
  const env = { OPENBLAS_CORETYPE: 'Haswell', PATH: '/bin' };
  const cs = pytorchConfigs([debian, wheel], [1, 2], env, { spin: false });
  assert.deepEqual(cs.map(c => c.key), ['torch1.13.0a0-1t', 'torch1.13.0a0-1t-noblasenv', 'torch1.13.0a0-2t', 'torch1.13.0a0-2t-noblasenv', 'torch2.13.0-1t', 'torch2.13.0-2t']);
  const off = cs[1];
  assert.equal(off.overrides, 'off');
  assert.equal(off.label, 'torch 1.13.0a0 (OpenBLAS pthreads), 1 thread, OpenBLAS overrides off');
  const childEnv = applyEnv(env, off.env);
  assert.equal(childEnv.OPENBLAS_CORETYPE, undefined);
  assert.ok(!('OPENBLAS_L2_SIZE' in childEnv));
  assert.equal(childEnv.PATH, '/bin');
  assert.equal(childEnv.OMP_NUM_THREADS, '1');
  assert.equal(applyEnv(env, cs[0].env).OPENBLAS_CORETYPE, 'Haswell');   // "on": as the environment has it
  assert.equal(env.OPENBLAS_CORETYPE, 'Haswell');                          // the parent's own is untouched
  assert.ok(cs.filter(c => c.torch.startsWith('2.')).every(c => c.overrides === null));
  // two interpreters with the same torch version get distinct keys
  assert.deepEqual(pytorchConfigs([debian, { ...debian, python: '/other' }], [1], {}).map(c => c.key), ['torch1.13.0a0#1-1t', 'torch1.13.0a0#2-1t']);
});

test('options: --python is repeatable and takes comma lists; PyTorch threads default to 1 … cores', () => {
  const o = parseOptions(['--python', '/a/python,/b/python', '--python', '/c/python', '--compare-archs', 'mnist-conv']);
  assert.deepEqual(o.compare?.pythons, ['/a/python', '/b/python', '/c/python']);
  assert.equal(o.compare?.spin, true);
  assert.deepEqual(parseOptions([]).compare?.pythons, []);
  assert.deepEqual(parseOptions(['--pytorch-threads', '2,1', '--no-pytorch-spin']).compare?.pytorchThreads, [1, 2]);
  assert.equal(parseOptions(['--no-pytorch-spin']).compare?.spin, false);
  assert.deepEqual(defaultPytorchThreads(2, [1, 2]), [1, 2]);
  assert.deepEqual(defaultPytorchThreads(1, [1]), [1]);
  assert.deepEqual(defaultPytorchThreads(16, [3]), [1, 2, 3, 4, 8, 16]);
});
