// The notebook display helper, with a recording sink in place of the tslab kernel.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlotlyFigure } from '../../src/plots/types.ts';
import { type DisplaySink, type MimeBundle, kernelSink, liveFigure, loadPlotly, showFigure } from '../../src/plots/display.ts';

interface Output { bundle: MimeBundle; target?: { displayId: string; update: boolean } }

function recorder(): { sink: DisplaySink; outputs: Output[] } {
  const outputs: Output[] = [];
  return { outputs, sink: (bundle, target) => { outputs.push({ bundle, target }); } };
}

const BUNDLE_MARK = 'plotly.js v'; // the bundle's licence header
const count = (text: string, part: string) => text.split(part).length - 1;
const html = (o: Output) => String(o.bundle['text/html']);
const fig = (title: string, y = [1, 2, 3]): PlotlyFigure => ({ data: [{ type: 'scatter', y }], layout: { title: { text: title } } });

test('two figures: the Plotly bundle is sent once, each figure output stays small', () => {
  const { sink, outputs } = recorder();
  showFigure(fig('first'), { sink });
  showFigure(fig('second'), { sink });
  assert.equal(outputs.length, 3);
  assert.equal(count(outputs.map(html).join(''), BUNDLE_MARK), 1);
  assert.ok(html(outputs[0]).length > 1_000_000);
  for (const o of outputs.slice(1)) {
    assert.ok(html(o).length < 5_000, `figure output is ${html(o).length} chars`);
    assert.deepEqual(Object.keys(o.bundle).sort(), ['application/vnd.plotly.v1+json', 'text/html', 'text/plain']);
  }
  assert.match(String(outputs[2].bundle['text/plain']), /"second": 1 trace/);
  assert.deepEqual((outputs[1].bundle['application/vnd.plotly.v1+json'] as PlotlyFigure).data, fig('first').data);
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
  const [bundle, first, ...updates] = outputs;
  assert.ok(html(bundle).includes(BUNDLE_MARK));
  assert.deepEqual(first.target, { displayId: live.displayId, update: false });
  assert.deepEqual(updates.map((o) => o.target), [1, 2].map(() => ({ displayId: live.displayId, update: true })));
  assert.match(html(updates[1]), /epoch 3/);
});

test('figure HTML cannot be broken out of by figure text', () => {
  const { sink, outputs } = recorder();
  loadPlotly({ sink });
  showFigure(fig('</script><script>alert(1)</script> & <!--'), { sink });
  const out = html(outputs[1]);
  assert.equal(count(out, '</script>'), 1);      // only the fragment's own closing tag
  assert.ok(!out.includes('<!--'));
  assert.ok(!html(outputs[0]).slice(0, -'</script>'.length).includes('</script'));
});

test('outside the tslab kernel: a clear error', () => {
  assert.throws(() => showFigure(fig('x')), /only work inside the tslab kernel.*writeFigureHtml.*exportFigure/s);
  assert.throws(() => kernelSink()({}), /only work inside the tslab kernel/);
});
