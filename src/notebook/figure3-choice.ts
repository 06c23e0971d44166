// Which runs notebook 05 draws as Figure 3. The paper's figure: CIFAR10 and CIFAR100, conv nets
// without augmentation, full protocol. When results/ has no such runs (CIFAR-100 is not on every
// machine; the reference sweep starts with MNIST FC), fall back to the closest setting that is
// there, and say what was chosen and why. Never mixes protocols (figure3() refuses to).

import type { RunRecord } from '../results/schema.ts';
import type { Figure3Options } from '../results/figure3.ts';
import { ARCH_LABEL, datasetLabel, datasetRank, ruleName } from '../results/paper-table1.ts';

export interface Figure3Choice {
  runs: RunRecord[];
  options: Figure3Options;
  /** True when this is the paper's setting (CIFAR, conv, no augmentation). */
  paperLike: boolean;
  /** What was chosen and why; empty when it is exactly the paper's figure with the full protocol. */
  notes: string[];
}

const PAPER_DATASETS = ['cifar10', 'cifar100'];
const ARCH_RANK: Record<string, number> = { conv: 0, fc: 1, loccon: 2 };

/** The best available setting for Figure 3, or null when there are no runs at all. */
export function chooseFigure3(all: RunRecord[]): Figure3Choice | null {
  if (all.length === 0) return null;
  const groups = new Map<string, RunRecord[]>();
  for (const r of all) {
    const key = JSON.stringify([r.header.arch, r.header.augment, r.header.protocol]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const scored = [...groups.values()].map((runs) => {
    const { arch, augment, protocol } = runs[0].header;
    const datasets = [...new Set(runs.map((r) => r.header.dataset))].sort((a, b) => datasetRank(a) - datasetRank(b) || (a < b ? -1 : 1));
    const cifar = datasets.filter((d) => PAPER_DATASETS.includes(d));
    const paperLike = arch === 'conv' && !augment && cifar.length > 0;
    const shown = paperLike ? cifar : datasets;
    const rules = new Set(runs.filter((r) => shown.includes(r.header.dataset)).map((r) => r.header.rule)).size;
    // Training images per run: between two reduced protocols, the one on more data (a full lossy
    // copy over a small exact subset) says more about learning.
    const nTrain = Math.max(0, ...runs.map((r) => r.header.datasetInfo?.nTrain ?? 0));
    return { runs, arch, augment, protocol, paperLike, shown, rules, nTrain };
  });
  scored.sort((a, b) =>
    Number(b.paperLike) - Number(a.paperLike)
    || Number(b.protocol === 'paper') - Number(a.protocol === 'paper')
    || b.rules - a.rules
    || b.shown.length - a.shown.length
    || b.nTrain - a.nTrain
    || (ARCH_RANK[a.arch] ?? 9) - (ARCH_RANK[b.arch] ?? 9)
    || Number(a.augment) - Number(b.augment)
    || b.runs.length - a.runs.length);
  const best = scored[0];

  const notes: string[] = [];
  const setting = `${best.shown.map(datasetLabel).join(' and ')}, ${ARCH_LABEL[best.arch] ?? best.arch} network, ${best.augment ? 'with' : 'no'} augmentation`;
  if (!best.paperLike) {
    notes.push(`No CIFAR conv runs without augmentation in the results (the paper's Figure 3 shows CIFAR10 and CIFAR100): showing ${setting} instead.`);
  } else {
    const missing = PAPER_DATASETS.filter((d) => !best.shown.includes(d));
    if (missing.length) notes.push(`No ${missing.map(datasetLabel).join(', ')} conv runs in the results: only the ${best.shown.map(datasetLabel).join(', ')} panel.`);
  }
  if (best.rules < 2) notes.push(`Only ${ruleName(best.runs[0].header.rule)} runs for this setting so far: one curve per panel.`);
  if (best.protocol !== 'paper') notes.push(`Protocol "${best.protocol}" (reduced), not the paper's full protocol.`);
  const unfinished = best.runs.filter((r) => !r.end && best.shown.includes(r.header.dataset)).length;
  if (unfinished) notes.push(`${unfinished} of these runs ${unfinished === 1 ? 'is' : 'are'} still running: ${unfinished === 1 ? 'its curve ends' : 'their curves end'} at the last finished epoch.`);
  const runsN = (n: number) => `${n} run${n === 1 ? '' : 's'}`;
  const left = [...new Set(best.runs.map((r) => r.header.dataset))].filter((d) => !best.shown.includes(d));
  if (left.length) notes.push(`Not drawn (the paper's figure has CIFAR only): ${left.map(datasetLabel).join(', ')} runs of the same setting.`);
  if (scored.length > 1) notes.push(`Other settings in the results (not drawn): ${scored.slice(1).map((g) => `${g.shown.map(datasetLabel).join('+')} ${g.arch}${g.augment ? ' aug' : ''} "${g.protocol}" (${runsN(g.runs.length)})`).join('; ')}.`);
  return {
    runs: best.runs.filter((r) => best.shown.includes(r.header.dataset)),
    options: { arch: best.arch, augment: best.augment, protocol: best.protocol, datasets: best.shown },
    paperLike: best.paperLike,
    notes,
  };
}
