// Figure 3 of the paper: how fast each rule learns. DeepAGREL's reward probability (the fraction of
// rewarded trials, exploration included) against EBP's 1 − training error, mean ± 2σ over seeds per
// epoch, one panel per dataset (the paper: CIFAR10 and CIFAR100, conv nets without augmentation).

import type { PlotlyFigure } from '../plots/types.ts';
import type { RunRecord } from './schema.ts';
import { datasetLabel, datasetRank } from './paper-table1.ts';
import { bandTraces, caption, CAPTION_MARGIN, epochBands, N_PER_EPOCH_NOTE, PALETTE, type EpochValue } from './curves.ts';

export interface Figure3Options {
  /** Panels, left to right. Default: every dataset among the selected runs, in the paper's order. */
  datasets?: string[];
  arch?: string;                  // default 'conv'
  augment?: boolean;              // default false
  /** Needed only when the selected runs come from several protocols (they must not be averaged together). */
  protocol?: string;
  /** EBP curve: 1 − training error (default, as in the paper) or validation accuracy. */
  ebpMetric?: 'train' | 'val';
  width?: number;                 // default 900
  height?: number;                // default 420
}

const RULE_COLOR = { deepagrel: PALETTE[3], ebp: PALETTE[0] };

export function figure3(runs: RunRecord[], opts: Figure3Options = {}): PlotlyFigure {
  const { arch = 'conv', augment = false, ebpMetric = 'train' } = opts;
  const selected = runs.filter((r) => r.header.arch === arch && r.header.augment === augment
    && (opts.datasets === undefined || opts.datasets.includes(r.header.dataset))
    && (opts.protocol === undefined || r.header.protocol === opts.protocol));
  const what = `arch ${arch}, augment ${augment}${opts.protocol ? `, protocol "${opts.protocol}"` : ''}`;
  if (selected.length === 0) throw new Error(`figure3: no runs with ${what}${opts.datasets ? ` for ${opts.datasets.join(', ')}` : ''}`);
  // Seeds are averaged per rule within a panel, so one rule's curve must not mix protocols; the two
  // rules of a panel may differ (e.g. a learning rate changed for one of them in a notebook), and
  // panels may differ (a reduced MNIST protocol next to a CIFAR subset run). The caption says which.
  const protocolOf = new Map<string, string>();
  for (const dataset of new Set(selected.map((r) => r.header.dataset))) {
    const perRule: string[] = [];
    for (const rule of ['deepagrel', 'ebp']) {
      const protocols = [...new Set(selected.filter((r) => r.header.dataset === dataset && r.header.rule === rule).map((r) => r.header.protocol))];
      if (protocols.length > 1) {
        throw new Error(`figure3: ${dataset} ${rule} runs with ${what} come from several protocols (${protocols.map((p) => `"${p}"`).join(', ')}); choose one with opts.protocol`);
      }
      if (protocols.length === 1) perRule.push(protocols[0]);
    }
    protocolOf.set(dataset, perRule.length === 2 && perRule[0] !== perRule[1] ? `DeepAGREL ${perRule[0]}, EBP ${perRule[1]}` : perRule[0]);
  }

  const datasets = opts.datasets ?? [...new Set(selected.map((r) => r.header.dataset))]
    .sort((a, b) => datasetRank(a) - datasetRank(b) || (a < b ? -1 : 1));

  const curves = {
    deepagrel: { name: 'DeepAGREL (reward probability)', value: ((e) => e.trainRewardRate) as EpochValue },
    ebp: {
      name: ebpMetric === 'train' ? 'EBP (1 − error)' : 'EBP (validation accuracy)',
      value: (ebpMetric === 'train' ? (e) => e.trainAccuracy : (e) => e.valAccuracy) as EpochValue,
    },
  };

  const gap = 0.08;
  const panelWidth = (1 - gap * (datasets.length - 1)) / datasets.length;
  const height = opts.height ?? 420;
  // Top margin, from the top: a title row (when titled: pinned to the top edge), the legend row,
  // the panel titles. Plotly centres a title in the top margin by default, which put it under the legend.
  const margin = { l: 60, r: 20, t: 104, b: CAPTION_MARGIN };
  const layout: Record<string, unknown> = {
    width: opts.width ?? 900,
    height,
    margin,
    title: { text: '', x: 0.5, xanchor: 'center', y: 1, yref: 'container', yanchor: 'top', pad: { t: 12 } },
    // One row above the panel titles: inside a panel it covers some curve sooner or later (a slow
    // EBP start lies exactly where a rising curve leaves room).
    legend: { orientation: 'h', x: 0.5, xanchor: 'center', y: 1 + 28 / (height - margin.t - margin.b), yanchor: 'bottom' },
    hovermode: 'closest',
  };
  const data: Array<Record<string, unknown>> = [];
  const annotations: Array<Record<string, unknown>> = [];
  const seedCounts: string[] = [];

  datasets.forEach((dataset, i) => {
    const suffix = i === 0 ? '' : String(i + 1);
    const x0 = i * (panelWidth + gap);
    layout[`xaxis${suffix}`] = { domain: [x0, x0 + panelWidth], title: { text: 'epoch' }, anchor: `y${suffix}` };
    layout[`yaxis${suffix}`] = { title: { text: i === 0 ? 'fraction correct' : '' }, anchor: `x${suffix}` };
    annotations.push({ text: `<b>${datasetLabel(dataset)}</b>`, showarrow: false, xref: 'paper', yref: 'paper',
      x: x0 + panelWidth / 2, xanchor: 'center', y: 1.0, yanchor: 'bottom' });

    const mine = selected.filter((r) => r.header.dataset === dataset);
    for (const rule of ['deepagrel', 'ebp'] as const) {
      const ruleRuns = mine.filter((r) => r.header.rule === rule);
      const [band] = epochBands(ruleRuns, curves[rule].value, () => rule, [0, 1]);   // fractions
      if (!band) continue;
      data.push(...bandTraces(band, { name: curves[rule].name, color: RULE_COLOR[rule],
        xaxis: `x${suffix}`, yaxis: `y${suffix}`, showlegend: !data.some((t) => t.name === curves[rule].name) }));
      seedCounts.push(`${datasetLabel(dataset)} ${rule === 'ebp' ? 'EBP' : 'DeepAGREL'}: ${nRange(band.n)}`);
    }
  });

  const protocolNote = datasets.filter((d) => protocolOf.has(d)).map((d) => `${datasetLabel(d)}: ${protocolOf.get(d)}`).join('; ');
  annotations.push(caption(`${N_PER_EPOCH_NOTE}<br>Bands clipped to [0, 1]. Runs per epoch (first → last epoch): ${seedCounts.join('; ')}.<br>Protocol: ${protocolNote}.`,
    height - margin.t - margin.b));
  return { data, layout: { ...layout, annotations }, config: { displaylogo: false } };
}

function nRange(n: number[]): string {
  const first = n[0];
  const last = n[n.length - 1];
  return first === last ? `${first}` : `${first} → ${last}`;
}
