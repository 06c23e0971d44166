// Figure 3 of the paper: how fast each rule learns. DeepAGREL's reward probability (the fraction of
// rewarded trials, exploration included) against EBP's 1 − training error, mean ± 2σ over seeds per
// epoch, one panel per dataset (the paper: CIFAR10 and CIFAR100, conv nets without augmentation).
// Honest about what it shows: where seeds are far apart (one still on a plateau, others escaped) a
// ±2σ band is meaningless, so the seeds are drawn one by one instead and the caption says so; all
// panels share the y-range; the caption names panels the paper does not have, the protocol, ε,
// the seeds and the data copy of each panel.

import type { PlotlyFigure } from '../plots/types.ts';
import type { RunRecord } from './schema.ts';
import { datasetLabel, datasetRank, ruleName } from './paper-table1.ts';
import { bandTraces, caption, CAPTION_MARGIN, epochAxis, epochBands, fittedCaption, N_PER_EPOCH_NOTE, PALETTE, protocolParts, type EpochValue } from './curves.ts';

export { protocolParts } from './curves.ts';

export interface Figure3Options {
  /** Panels, left to right. Default: every dataset among the selected runs, in the paper's order. */
  datasets?: string[];
  arch?: string;                  // default 'conv'
  augment?: boolean;              // default false
  /** Needed only when the selected runs come from several protocols (they must not be averaged together). */
  protocol?: string;
  /** EBP curve: 1 − training error (default, as in the paper) or validation accuracy. */
  ebpMetric?: 'train' | 'val';
  /** When one rule's runs come from several protocols (e.g. EBP at the paper's α and at a tuned
   *  α), draw one curve per protocol, labelled with it, instead of refusing. */
  splitProtocols?: boolean;
  /** Draw the seeds one by one (instead of the ±2σ band) when the sd across seeds exceeds this at
   *  some epoch (default 0.1: a band 0.4 wide, which spans a plateau and an escaped run). */
  spreadSd?: number;
  /** Leave out runs without an end record (still training, or stopped). Default false: they are
   *  drawn as far as they got, and the caption names them. */
  finishedOnly?: boolean;
  width?: number;                 // default 900
  height?: number;                // default 420
}

const RULE_COLOR = { deepagrel: PALETTE[3], ebp: PALETTE[0] };
/** Further protocols of one rule (splitProtocols): green, purple, brown, … */
const EXTRA_COLORS = [PALETTE[2], PALETTE[4], PALETTE[5], PALETTE[6]];

export function figure3(runs: RunRecord[], opts: Figure3Options = {}): PlotlyFigure {
  const { arch = 'conv', augment = false, ebpMetric = 'train' } = opts;
  const selected = runs.filter((r) => r.header.arch === arch && r.header.augment === augment
    && (opts.datasets === undefined || opts.datasets.includes(r.header.dataset))
    && (opts.protocol === undefined || r.header.protocol === opts.protocol)
    && (!opts.finishedOnly || r.end !== undefined));
  const what = `arch ${arch}, augment ${augment}${opts.protocol ? `, protocol "${opts.protocol}"` : ''}`;
  if (selected.length === 0) throw new Error(`figure3: no runs with ${what}${opts.datasets ? ` for ${opts.datasets.join(', ')}` : ''}`);
  // Seeds are averaged per rule within a panel, so one rule's curve must not mix protocols; the two
  // rules of a panel may differ (e.g. a learning rate changed for one of them in a notebook), and
  // panels may differ (a reduced MNIST protocol next to a CIFAR subset run). The caption says which.
  const protocolsOf = (dataset: string, rule: string) =>
    [...new Set(selected.filter((r) => r.header.dataset === dataset && r.header.rule === rule).map((r) => r.header.protocol))];
  for (const dataset of new Set(selected.map((r) => r.header.dataset))) {
    for (const rule of ['deepagrel', 'ebp']) {
      const protocols = protocolsOf(dataset, rule);
      if (protocols.length > 1 && !opts.splitProtocols) {
        throw new Error(`figure3: ${dataset} ${rule} runs with ${what} come from several protocols (${protocols.map((p) => `"${p}"`).join(', ')}); choose one with opts.protocol, or draw one curve per protocol with opts.splitProtocols (--split-protocols)`);
      }
    }
  }
  // What every curve of a panel shares (e.g. "maxEpochs=300, data not bit-exact") goes into the
  // caption once; a curve's legend label keeps only what sets it apart (e.g. "EBP α tuned (α=0.3)").
  // A kind of setting that tells one rule's curves apart in some panel (e.g. "EBP α tuned") is a
  // curve's own wherever it appears, also in a panel where every EBP run has it.
  const telling = new Map((['deepagrel', 'ebp'] as const).map((rule) => [rule, new Set<string>()]));
  const panelCommon = new Map<string, string[]>();
  for (const dataset of new Set(selected.map((r) => r.header.dataset))) {
    const inPanel = selected.filter((r) => r.header.dataset === dataset);
    for (const rule of ['deepagrel', 'ebp'] as const) {
      const parts = protocolsOf(dataset, rule).map(protocolParts);
      for (const p of parts.flat()) if (!parts.every((q) => q.includes(p))) telling.get(rule)!.add(colourKey(p));
    }
    const parts = [...new Set(inPanel.map((r) => r.header.protocol))].map(protocolParts);
    panelCommon.set(dataset, parts[0].filter((p) => parts.every((q) => q.includes(p))));
  }
  const isTelling = (p: string) => [...telling.values()].some((kinds) => kinds.has(colourKey(p)));
  const sharedOf = (dataset: string) => (panelCommon.get(dataset) ?? []).filter((p) => !isTelling(p));
  const ownOf = (dataset: string, protocol: string) => protocolParts(protocol).filter((p) => !sharedOf(dataset).includes(p)).join(', ');

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
  const spread: string[] = [];
  const panelNotes: string[] = [];
  const protocolNotes: string[] = [];
  const spreadSd = opts.spreadSd ?? 0.1;
  const ownNotes = new Map<string, string>();
  // The kinds of own settings, per rule (EBP's first) in order of first appearance over all panels:
  // a curve's colour. "EBP α tuned (α=0.3 …)" on MNIST and "(α=0.1 …)" on CIFAR are one kind, one
  // colour; the same kind of setting under the other rule is another curve, so another colour.
  const kinds = (['ebp', 'deepagrel'] as const).flatMap((rule) =>
    [...new Set(selected.filter((r) => r.header.rule === rule).map((r) => ownOf(r.header.dataset, r.header.protocol)).filter((o) => o !== '').map(colourKey))]
      .map((kind) => `${rule} ${kind}`));
  // Rules whose runs come from several protocols in some panel get one labelled curve per protocol.
  const splitRules = new Set((['deepagrel', 'ebp'] as const).filter((rule) => datasets.some((d) => protocolsOf(d, rule).length > 1)));

  datasets.forEach((dataset, i) => {
    const suffix = i === 0 ? '' : String(i + 1);
    const x0 = i * (panelWidth + gap);
    const epochs = selected.filter((r) => r.header.dataset === dataset).flatMap((r) => r.epochs.map((e) => e.epoch));
    layout[`xaxis${suffix}`] = { ...epochAxis(epochs), domain: [x0, x0 + panelWidth], anchor: `y${suffix}` };
    // One y-range for every panel, so the panels compare at a glance.
    layout[`yaxis${suffix}`] = { title: { text: i === 0 ? 'fraction correct' : '' }, anchor: `x${suffix}`, range: [0, 1.02] };
    annotations.push({ text: `<b>${datasetLabel(dataset)}</b>`, showarrow: false, xref: 'paper', yref: 'paper',
      x: x0 + panelWidth / 2, xanchor: 'center', y: 1.0, yanchor: 'bottom' });

    const mine = selected.filter((r) => r.header.dataset === dataset);
    const coloured = new Set<string>();        // two curves of one panel never share a colour
    for (const rule of ['deepagrel', 'ebp'] as const) {
      const ofRule = mine.filter((r) => r.header.rule === rule);
      // The curve with the panel's own settings first (the legend then reads EBP, EBP α tuned, …).
      const protocols = protocolsOf(dataset, rule).sort((a, b) => Number(ownOf(dataset, a) !== '') - Number(ownOf(dataset, b) !== ''));
      const split = splitRules.has(rule);
      protocols.forEach((protocol) => {
        const ruleRuns = ofRule.filter((r) => r.header.protocol === protocol);
        const own = ownOf(dataset, protocol);
        if (own) ownNotes.set(`${dataset} ${rule} ${own}`, `${split ? `one ${withRule(rule, '')} curve` : withRule(rule, '')}: ${own}`);
        const [band] = epochBands(ruleRuns, curves[rule].value, () => rule, [0, 1]);   // fractions
        if (!band) return;
        // A split rule: the curve with the panel's settings in the rule's colour, the others one
        // colour per kind of setting, the same in every panel; a rule not split: the rule's colour.
        const k = split && own ? kinds.indexOf(`${rule} ${colourKey(own)}`) : -1;
        const name = split && own ? `${curves[rule].name} — ${withoutRule(rule, own)}` : curves[rule].name;
        let color = k < 0 ? RULE_COLOR[rule] : EXTRA_COLORS[k % EXTRA_COLORS.length];
        if (coloured.has(color)) color = EXTRA_COLORS.find((c) => !coloured.has(c)) ?? color;
        coloured.add(color);
        const style = { name, color, xaxis: `x${suffix}`, yaxis: `y${suffix}`, showlegend: !data.some((t) => t.name === name) };
        const who = `${datasetLabel(dataset)} ${ruleName(rule)}${split && own ? ` (${own})` : ''}`;
        const maxSd = Math.max(...band.sd);
        if (ruleRuns.length > 1 && maxSd > spreadSd) {
          // Seeds far apart: the mean line stays (dashed), each seed is a thin line, no band.
          data.push(...seedTraces(ruleRuns, curves[rule].value, style), { ...bandTraces(band, style)[2], line: { color: style.color, width: 2, dash: 'dash' },
            hovertemplate: 'epoch %{x}: %{y:.4f}, mean of n = %{customdata[0]} runs (seeds far apart: no band)' });
          spread.push(`${who}: seeds far apart (sd up to ${maxSd.toFixed(2)}), so each seed is drawn (thin lines) with their mean (dashed) instead of a ±2σ band.`);
        } else {
          data.push(...bandTraces(band, style));
        }
        seedCounts.push(`${who}: ${nRange(band.n)}`);
      });
    }
    // The panel's shared settings ("paper" when a curve has none of its own), then each curve's own.
    const shared = sharedOf(dataset).join(', ') || (mine.some((r) => r.header.protocol === 'paper') ? 'paper' : '');
    const own = [...ownNotes].filter(([key]) => key.startsWith(`${dataset} `)).map(([, note]) => note);
    if (mine.length) protocolNotes.push(`${datasetLabel(dataset)}: ${[...(shared ? [shared] : []), ...own].join('; ')}`);
    if (mine.length) panelNotes.push(`${datasetLabel(dataset)}: ε = ${fmtSet(mine.map((r) => r.header.config.epsilon))}, ${fmtSeeds(mine)}, data ${dataNote(mine)}`);
  });

  const notPaper = datasets.filter((d) => !PAPER_PANELS.includes(d)).map(datasetLabel);
  const fitted = fittedCaption([
    `${N_PER_EPOCH_NOTE} Bands clipped to [0, 1].`,
    ...(notPaper.length ? [`The paper's Figure 3 has CIFAR10 and CIFAR100 panels; ${notPaper.join(' and ')} ${notPaper.length > 1 ? 'are' : 'is'} added here.`] : []),
    ...spread,
    ...unfinishedNote(selected),
    `${ARCH_LABEL[arch] ?? arch} nets, ${augment ? 'with' : 'no'} data augmentation. Runs per epoch (first → last epoch): ${seedCounts.join('; ')}.`,
    `Protocol: ${protocolNotes.join('. ')}. ${panelNotes.join('; ')}.`,
  ], (layout.width as number) - margin.l - margin.r);
  layout.height = height + (fitted.margin - margin.b);
  layout.margin = { ...margin, b: fitted.margin };
  annotations.push(caption(fitted.text, height - margin.t - margin.b));
  return { data, layout: { ...layout, annotations }, config: { displaylogo: false } };
}

/** A figure drawn mid-sweep mixes finished runs with runs still under way (their curves stop
 *  where the run is now, and they change the means there); say which, so an exported figure
 *  never passes such a curve off as final. */
function unfinishedNote(runs: RunRecord[]): string[] {
  const open = runs.filter((r) => r.end === undefined);
  if (open.length === 0) return [];
  const names = open.map((r) => `${datasetLabel(r.header.dataset)} ${ruleName(r.header.rule)}${r.header.protocol && r.header.protocol !== 'paper' ? ` (${r.header.protocol})` : ''} seed ${r.header.seed} (epoch ${r.epochs.length})`);
  return [`Not finished (still training or stopped), drawn as far as they got: ${names.join('; ')}.`];
}

/** "EBP <label>", unless the label already starts with the rule's name; "EBP" for no label. */
function withRule(rule: string, label: string): string {
  const name = ruleName(rule);
  return label.startsWith(name) ? label : label ? `${name} ${label}` : name;
}

/** "α tuned (α=0.3)" for "EBP α tuned (α=0.3)" in a legend entry that already names the rule. */
function withoutRule(rule: string, label: string): string {
  const name = rule === 'ebp' ? 'EBP ' : 'DeepAGREL ';
  return label.startsWith(name) ? label.slice(name.length) : label;
}

/** The kind of a setting, without the details in brackets: "EBP α tuned (α=0.3, pick)" → "EBP α tuned". */
function colourKey(own: string): string {
  return own.replace(/\s*\([^()]*\)/g, '').trim();
}

const ARCH_LABEL: Record<string, string> = { conv: 'Convolutional', loccon: 'Locally connected', fc: 'Fully connected' };

/** The panels of the paper's own Figure 3. */
const PAPER_PANELS = ['cifar10', 'cifar100'];

/** One thin line per run (seed), in the rule's colour, sharing its legend group. */
function seedTraces(runs: RunRecord[], value: EpochValue, style: { name: string; color: string; xaxis: string; yaxis: string }): Array<Record<string, unknown>> {
  return [...runs].sort((a, b) => a.header.seed - b.header.seed).map((r) => ({
    type: 'scatter', mode: 'lines', name: `${style.name}, seed ${r.header.seed}`, legendgroup: style.name, showlegend: false,
    x: r.epochs.map((e) => e.epoch), y: r.epochs.map((e) => value(e, r) ?? null),
    line: { color: style.color, width: 1 }, opacity: 0.6, xaxis: style.xaxis, yaxis: style.yaxis,
    hovertemplate: `seed ${r.header.seed}, epoch %{x}: %{y:.4f}`,
  }));
}

function fmtSet(values: unknown[]): string {
  return [...new Set(values.map((v) => (v === undefined ? '?' : String(v))))].join(' / ');
}

function fmtSeeds(runs: RunRecord[]): string {
  const seeds = [...new Set(runs.map((r) => r.header.seed))].sort((a, b) => a - b);
  const contiguous = seeds.length > 2 && seeds.every((s, i) => i === 0 || s === seeds[i - 1] + 1);
  return seeds.length === 1 ? `seed ${seeds[0]}` : `seeds ${contiguous ? `${seeds[0]}–${seeds[seeds.length - 1]}` : seeds.join(', ')}`;
}

/** Which copy of the data the panel's runs used: the official files, or a labelled other copy. */
function dataNote(runs: RunRecord[]): string {
  const infos = runs.map((r) => r.header.datasetInfo).filter((d) => d !== undefined);
  if (infos.length === 0) return 'not recorded';
  if (infos.every((d) => d.exact)) return 'official files (bit-exact)';
  const lossy = [...new Set(infos.filter((d) => !d.exact).map((d) => /jpeg\d+/i.exec(d.source)?.[0].toUpperCase() ?? 'a copy'))];
  return `not bit-exact (${lossy.join(', ')} re-encoding)`;
}

function nRange(n: number[]): string {
  const first = n[0];
  const last = n[n.length - 1];
  return first === last ? `${first}` : `${first} → ${last}`;
}
