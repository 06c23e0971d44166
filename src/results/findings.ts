// "What the reproduction found" (README), written from the run records so that every number in it
// is one the records carry: `npx deepagrel findings --results …` prints it, and README.md keeps it
// as a generated block (src/results/generated-blocks.ts) that `npm run results -- --check README.md`
// compares with the records. Only finished runs count; a run still going is named as such.

import type { RunRecord } from './schema.ts';
import { table1Rows, type Table1Row } from './table1.ts';
import { ARCH_LABEL, PAPER_TABLE1, ruleName } from './paper-table1.ts';

const pct = (x: number) => x.toFixed(2);

/** The protocol label without the parts every paper-protocol run has: '' for the paper's own α. */
function variant(r: Table1Row): string {
  return r.protocol.split(/, (?![^(]*\))/).filter(p => !/^maxEpochs=\d+$/.test(p) && p !== 'data not bit-exact').join(', ')
    .replace(/^(EBP|DeepAGREL) /, '').replace(/α=[^,) ]+(, | )?/, '')   // the row already names the rule and α
    .replace(/^\((.*)\)$/, '$1');                                        // "(CIFAR-10 gap candidate)" → its words
}

/** The paper's band (mean ± 2 sd) and where our mean falls. */
function band(r: Table1Row): { lo: number; hi: number; where: 'inside' | 'below' | 'above' } | null {
  if (r.accMean === null || r.paperAccMean === null || r.paperAccSd === null) return null;
  const lo = r.paperAccMean - 2 * r.paperAccSd, hi = r.paperAccMean + 2 * r.paperAccSd;
  return { lo, hi, where: r.accMean < lo ? 'below' : r.accMean > hi ? 'above' : 'inside' };
}

function rowText(r: Table1Row): string {
  const b = band(r);
  const name = `${ARCH_LABEL[r.arch]} α ${r.alpha}${variant(r) ? `, ${variant(r)}` : ''}`;
  if (r.accMean === null) return `${name}: ${r.nRunning} run(s) still going, none finished`;
  const seeds = `${r.nSeeds} seed${r.nSeeds === 1 ? '' : 's'}`;
  const sd = r.accSd === null ? '' : ` ± ${pct(r.accSd)}`;
  return `${name}: ${pct(r.accMean)}${sd} % (${seeds}${r.nRunning ? `, ${r.nRunning} running` : ''}), ` +
    `${b ? `${b.where} the band ${pct(b.lo)}–${pct(b.hi)}` : 'no paper band'}`;
}

/**
 * Rows whose runs learned late: the epochs before validation first reached half of the run's best,
 * and the best validation until then — said only when the median run took 15 epochs or more (a
 * run that never learns shows in its accuracy).
 */
function slowStart(runs: RunRecord[]): string | null {
  const starts = runs.filter(r => r.end && r.end.bestValAccuracy > 0).map(r => {
    const i = r.epochs.findIndex(e => e.valAccuracy >= r.end!.bestValAccuracy / 2);
    return { epochs: i, best: Math.max(0, ...r.epochs.slice(0, i).map(e => e.valAccuracy)) };
  });
  const e = starts.map(s => s.epochs).sort((a, b) => a - b);
  if (e.length === 0 || e[Math.floor((e.length - 1) / 2)] < 15) return null;   // the median run took 15 epochs or more
  const range = Math.min(...e) === Math.max(...e) ? `${e[0]}` : `${Math.min(...e)}–${Math.max(...e)}`;
  return `validation stayed ≤ ${(100 * Math.max(...starts.map(s => s.best))).toFixed(0)} % for the first ${range} epochs before rising`;
}

const key = (r: { preset: string; protocol: string }) => `${r.preset}\u0000${r.protocol}`;

/** The README's findings as Markdown bullets, from the records of the paper-protocol experiments. */
export function renderFindings(runs: RunRecord[]): string {
  const rows = table1Rows(runs);
  const byKey = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const k = key({ preset: run.header.preset, protocol: run.header.protocol });
    byKey.set(k, [...(byKey.get(k) ?? []), run]);
  }
  const out: string[] = [];
  for (const dataset of ['mnist', 'cifar10', 'cifar100'] as const) {
    const ds = rows.filter(r => r.dataset === dataset && !r.augment);
    const title = dataset === 'mnist' ? '**MNIST**' : dataset === 'cifar10' ? '**CIFAR-10** (the JPEG-75 copy: lossy)' : '**CIFAR-100**';
    if (ds.length === 0) continue;
    out.push(`- ${title}; test accuracy, mean ± sd over seeds; the paper's band is its mean ± 2 sd:`);
    for (const rule of ['deepagrel', 'ebp'] as const) {
      const mine = ds.filter(r => r.rule === rule);
      if (!mine.length) continue;
      const parts = mine.map(r => {
        const slow = slowStart(byKey.get(key(r)) ?? []);
        return rowText(r) + (slow ? `; ${slow}` : '');
      });
      out.push(`  - ${ruleName(rule)}: ${parts.join('; ')}.`);
    }
    // DeepAGREL vs EBP per net, each at its best finished row (the paper: same α as its Table 1 row).
    const gaps: string[] = [];
    for (const arch of ['fc', 'conv', 'loccon']) {
      const best = (rule: string) => ds.filter(r => r.arch === arch && r.rule === rule && r.accMean !== null)
        .sort((a, b) => b.accMean! - a.accMean!)[0];
      const d = best('deepagrel'), e = best('ebp');
      if (!d || !e) continue;
      const paper = (rule: string) => PAPER_TABLE1.find(p => p.dataset === dataset && p.arch === arch && !p.augment && p.rule === rule)!;
      const ours = d.accMean! - e.accMean!, theirs = paper('deepagrel').accMean - paper('ebp').accMean;
      gaps.push(`${ARCH_LABEL[arch]} ${ours >= 0 ? '+' : '−'}${Math.abs(ours).toFixed(2)} (α ${d.alpha} vs ${e.alpha}, ${d.nSeeds} and ${e.nSeeds} seeds; paper ${theirs >= 0 ? '+' : '−'}${Math.abs(theirs).toFixed(2)})`);
    }
    if (gaps.length) out.push(`  - DeepAGREL minus EBP, each at its best finished α, in points: ${gaps.join('; ')}.`);
  }
  const notRun = PAPER_TABLE1.filter(p => !rows.some(r => r.dataset === p.dataset && r.arch === p.arch && r.augment === p.augment && r.rule === p.rule));
  if (notRun.length) {
    const groups = new Map<string, number>();
    for (const p of notRun) {
      const g = `${p.dataset === 'cifar100' ? 'CIFAR-100' : p.dataset === 'cifar10' ? 'CIFAR-10' : 'MNIST'} ${p.augment ? 'augmented ' : ''}${ARCH_LABEL[p.arch]}`;
      groups.set(g, (groups.get(g) ?? 0) + 1);
    }
    out.push(`- Not run (${notRun.length} of the paper's ${PAPER_TABLE1.length} rows): ${[...groups].map(([g, n]) => `${g} (${n})`).join(', ')}; ` +
      '`npx deepagrel table --all-rows` says why for each and gives the command.');
  }
  return out.join('\n') + '\n';
}
