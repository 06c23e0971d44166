// The notebook display helper, with a recording sink in place of the tslab kernel.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlotlyFigure } from '../../src/plots/types.ts';
import { type DisplaySink, type MimeBundle, PLOTLY_LOADED, figureBundle, kernelSink, liveFigure, loadPlotly, redrawBundle, showFigure } from '../../src/plots/display.ts';
import { TRUST_HINT } from '../../src/plots/embed.ts';

interface Output { bundle: MimeBundle; target?: { displayId: string; update: boolean } }

function recorder(): { sink: DisplaySink; outputs: Output[] } {
  const outputs: Output[] = [];
  return { outputs, sink: (bundle, target) => { outputs.push({ bundle, target }); } };
}

const BUNDLE_MARK = 'plotly.js v'; // the bundle's licence header
const count = (text: string, part: string) => text.split(part).length - 1;
const html = (o: Output) => String(o.bundle['text/html']);
const fig = (title: string, y = [1, 2, 3]): PlotlyFigure => ({ data: [{ type: 'scatter', y }], layout: { title: { text: title } } });

/** The outputs a saved notebook keeps: updates replace the output with their display id. */
function saved(outputs: Output[]): MimeBundle[] {
  const kept: Output[] = [];
  for (const o of outputs) {
    const i = o.target?.update ? kept.findIndex((k) => k.target?.displayId === o.target!.displayId) : -1;
    if (i >= 0) kept[i] = o; else kept.push(o);
  }
  return kept.map((o) => o.bundle);
}

test('two figures: the Plotly bundle is sent once, each figure output stays small', () => {
  const { sink, outputs } = recorder();
  showFigure(fig('first'), { sink });
  showFigure(fig('second'), { sink });
  assert.equal(outputs.length, 4);
  assert.equal(count(outputs.map(html).join(''), BUNDLE_MARK), 1);
  assert.ok(html(outputs[0]).length > 1_000_000);
  for (const o of outputs.slice(2)) {
    assert.ok(html(o).length < 5_000, `figure output is ${html(o).length} chars`);
    assert.deepEqual(Object.keys(o.bundle).sort(), ['application/vnd.plotly.v1+json', 'text/html', 'text/plain']);
  }
  assert.match(String(outputs[3].bundle['text/plain']), /"second": 1 trace/);
  assert.deepEqual((outputs[2].bundle['application/vnd.plotly.v1+json'] as PlotlyFigure).data, fig('first').data);
});

test('the bundle\'s output is replaced at once by a small note: a saved notebook stays small (issue 12, point 7)', () => {
  const { sink, outputs } = recorder();
  const live = liveFigure(fig('live'), { sink });
  for (let e = 0; e < 30; e++) live.update(fig(`epoch ${e}`, Array.from({ length: e + 1 }, (_, i) => i)));
  showFigure(fig('final'), { sink });
  const [bundle, loaded] = outputs;
  assert.equal(bundle.target?.update, false);
  assert.deepEqual(loaded.target, { displayId: bundle.target!.displayId, update: true });
  assert.deepEqual(loaded.bundle, PLOTLY_LOADED);
  const kept = saved(outputs);
  const bytes = JSON.stringify(kept).length;
  assert.ok(bytes < 50_000, `saved outputs: ${bytes} bytes`);
  assert.equal(count(JSON.stringify(kept), BUNDLE_MARK), 0);
  assert.equal(kept.length, 3);
});

test('a figure\'s box says how to trust the notebook until the figure draws (issue 12, point 8)', () => {
  const { sink, outputs } = recorder();
  showFigure(fig('t'), { sink });
  const out = html(outputs[2]);
  const hint = TRUST_HINT.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  // what an untrusted front end shows: the HTML without its script
  const untrusted = out.replace(/<script[\s\S]*?<\/script>/g, '');
  assert.ok(untrusted.includes(hint), 'hint visible without the script');
  assert.match(TRUST_HINT, /^Trust this notebook to draw its figures: /);
  assert.match(out, /querySelector\('\.deepagrel-trust-hint'\)[\s\S]*remove\(\)[\s\S]*Plotly\.react/, 'the drawing script removes the hint first');
  // the Plotly mime type is there for JupyterLab's renderer (no trust needed)
  assert.ok(outputs[2].bundle['application/vnd.plotly.v1+json']);
});

test('a new Jupyter client session (reloaded page) gets the bundle again; force resends it', () => {
  const { sink, outputs } = recorder();
  const key = Symbol.for('deepagrel.jupyterClientSession');
  const g = globalThis as Record<symbol, unknown>;
  const saved = g[key];
  try {
    g[key] = 'page-1';
    showFigure(fig('a'), { sink });
    showFigure(fig('b'), { sink });
    g[key] = 'page-2';
    showFigure(fig('c'), { sink });
    loadPlotly({ sink });
    loadPlotly({ sink, force: true });
  } finally {
    g[key] = saved;
  }
  assert.equal(count(outputs.map(html).join(''), BUNDLE_MARK), 3);
});

test('liveFigure: one output, replaced in place by each update', () => {
  const { sink, outputs } = recorder();
  const live = liveFigure(fig('epoch 1', [1]), { sink });
  live.update(fig('epoch 2', [1, 2]));
  live.update(fig('epoch 3', [1, 2, 3]));
  const [bundle, , first, ...updates] = outputs;
  assert.ok(html(bundle).includes(BUNDLE_MARK));
  assert.deepEqual(first.target, { displayId: live.displayId, update: false });
  assert.deepEqual(updates.map((o) => o.target), [1, 2, 3, 4].map(() => ({ displayId: live.displayId, update: true })));
  assert.match(html(updates[3]), /epoch 3/);
});

test('liveFigure: every version in the Plotly mime type (JupyterLab draws it: no trust, no page script, no network; issue 30)', () => {
  const { sink, outputs } = recorder();
  const live = liveFigure(fig('epoch 1', [1]), { sink });
  live.update(fig('epoch 2', [1, 2]));
  live.finish(fig('done', [1, 2, 3]));
  const figs = outputs.slice(2).filter((o) => String(o.bundle['text/plain']).startsWith('<Plotly figure'));
  assert.equal(figs.length, 3);
  for (const o of figs) {
    assert.ok('application/vnd.plotly.v1+json' in o.bundle && typeof o.bundle['text/html'] === 'string', JSON.stringify(Object.keys(o.bundle)));
    assert.equal(o.target?.displayId, live.displayId);
  }
  assert.deepEqual((figs[2].bundle['application/vnd.plotly.v1+json'] as PlotlyFigure).data, fig('done', [1, 2, 3]).data);
  // JupyterLab's Plotly renderer draws an output once and ignores updates of it: each new version
  // comes right after an update of another mime type, so JupyterLab gives it a fresh renderer
  const updates = outputs.slice(3);
  assert.equal(updates.length, 4);
  for (let i = 0; i < updates.length; i += 2) {
    assert.deepEqual(updates[i].bundle, redrawBundle(fig('x')));
    assert.ok(!('application/vnd.plotly.v1+json' in updates[i].bundle));
    assert.ok('application/vnd.plotly.v1+json' in updates[i + 1].bundle);
  }
  // what a saved notebook keeps: the last version, drawable offline
  const kept = saved(outputs);
  assert.equal(kept.length, 2);
  assert.match(String(kept[1]['text/plain']), /"done": 1 trace\(s\), live/);
  assert.ok('application/vnd.plotly.v1+json' in kept[1]);
});

test('redrawBundle keeps the figure\'s height while the next version is drawn', () => {
  assert.match(String(redrawBundle({ data: [], layout: { height: 480 } })['text/html']), /height:480px/);
  assert.match(String(redrawBundle({ data: [], layout: {} })['text/html']), /height:360px/);
});

test('long numeric arrays go out as Plotly typed arrays: a saved notebook keeps them small (issue 30)', () => {
  const epochs = Array.from({ length: 140 }, (_, i) => i + 1);
  const acc = epochs.map((e) => 0.7 - 0.6 / e + 1e-7 / 3);
  const big: PlotlyFigure = { data: [{ type: 'scatter', x: epochs, y: acc, customdata: epochs.map((e) => [3, 0.01 * e / 3]), marker: { size: [1, 2] }, name: 'DeepAGREL' }], layout: { title: { text: 'long' } } };
  const bundle = figureBundle(big);
  const trace = (bundle['application/vnd.plotly.v1+json'] as PlotlyFigure).data[0] as Record<string, any>;
  assert.deepEqual([trace.x.dtype, trace.y.dtype, trace.customdata.dtype, trace.customdata.shape], ['i2', 'f4', 'f4', '140,2']);
  assert.deepEqual([...new Int16Array(new Uint8Array(Buffer.from(trace.x.bdata, 'base64')).buffer)].slice(0, 3), [1, 2, 3]);
  const y = new Float32Array(new Uint8Array(Buffer.from(trace.y.bdata, 'base64')).buffer);
  assert.ok(y.every((v, i) => Math.abs(v - acc[i]) < 1e-6));
  assert.deepEqual(trace.marker.size, [1, 2], 'short arrays stay lists');
  assert.equal(trace.name, 'DeepAGREL');
  assert.deepEqual(big.data[0].x, epochs, 'the figure itself is untouched');
  // the HTML carries the same compact form; on disk (nbformat: indented, a number per line) both are small
  assert.match(html({ bundle }), /"bdata":"/);
  const onDisk = JSON.stringify(bundle['application/vnd.plotly.v1+json'], null, 1).length;
  assert.ok(onDisk < 5_000, `${onDisk} bytes`);
  // non-finite values (a gap in a curve) leave the array as it is
  const gap = figureBundle({ data: [{ type: 'scatter', y: [...acc.slice(0, 20), NaN] }], layout: {} });
  assert.ok(Array.isArray(((gap['application/vnd.plotly.v1+json'] as PlotlyFigure).data[0] as { y: unknown }).y));
});

test('figure HTML cannot be broken out of by figure text', () => {
  const { sink, outputs } = recorder();
  loadPlotly({ sink });
  showFigure(fig('</script><script>alert(1)</script> & <!--'), { sink });
  const out = html(outputs[2]);
  assert.equal(count(out, '</script>'), 1);      // only the fragment's own closing tag
  assert.ok(!out.includes('<!--'));
  assert.ok(!html(outputs[0]).slice(0, -'</script>'.length).includes('</script'));
});

test('outside the tslab kernel: a clear error', () => {
  assert.throws(() => showFigure(fig('x')), /only work inside the tslab kernel.*writeFigureHtml.*exportFigure/s);
  assert.throws(() => kernelSink()({}), /only work inside the tslab kernel/);
});
