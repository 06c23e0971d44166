// Live learning curves in a notebook: TrainEvents that collect each run's epochs as they finish and
// redraw one figure in place (liveFigure + learningCurves), plus one printed line per epoch. Any
// number of runs can share the figure; each is a curve named by the label given to events().
//
//   const live = new LiveCurves({ title: 'MNIST FC' });
//   await runExperiment(cfg, { seed: 1, events: live.events('DeepAGREL') });

import { liveFigure, type DisplaySink, type LiveFigure } from '../plots/display.ts';
import { learningCurves, type EpochMetric } from '../results/curves.ts';
import type { PlotlyFigure } from '../plots/types.ts';
import type { RunRecord } from '../results/schema.ts';
import type { TrainEvents } from '../train.ts';
import { pct } from './params.ts';
import { resumeNote } from '../progress.ts';

export interface LiveCurvesOptions {
  /** Per-epoch metric drawn (default valAccuracy). */
  metric?: EpochMetric;
  title?: string;
  yTitle?: string;
  /** Where the figure goes (default: the tslab kernel). Tests pass a recorder. */
  sink?: DisplaySink;
  /** One line per epoch and per finished run (default console.log; null: silent). */
  log?: ((line: string) => void) | null;
}

const Y_TITLES: Record<EpochMetric, string> = {
  valAccuracy: 'validation accuracy', trainRewardRate: 'reward rate (training, exploration included)',
  trainAccuracy: 'training accuracy (greedy)', meanDelta2: 'mean δ² / cross-entropy', wallTimeSec: 'seconds per epoch', samplesPerSec: 'samples per second',
};

export class LiveCurves {
  /** The runs seen so far, as records (header, epochs so far, end once finished). */
  readonly runs: RunRecord[] = [];
  private readonly labels = new Map<RunRecord, string>();
  private live: LiveFigure | undefined;
  private readonly log: ((line: string) => void) | null;

  constructor(private readonly opts: LiveCurvesOptions = {}) {
    this.log = opts.log === undefined ? (line) => console.log(line) : opts.log;
  }

  /** The current figure (what the live output shows). */
  figure(): PlotlyFigure {
    const metric = this.opts.metric ?? 'valAccuracy';
    return learningCurves(this.runs, {
      metric, groupBy: (r) => this.labels.get(r) ?? r.header.preset,
      title: this.opts.title ?? 'Learning curves (live)', yTitle: this.opts.yTitle ?? Y_TITLES[metric],
    });
  }

  /** Events for one run, drawn as the curve `label`. A resumed run's curve starts with the epochs
   *  its record already has (before the interrupt), then goes on. */
  events(label: string): TrainEvents {
    let run: RunRecord | undefined;
    return {
      onStart: (header, info) => {
        run = { header, epochs: [...(info.priorEpochs ?? [])], file: '' };
        this.runs.push(run);
        this.labels.set(run, label);
        const resumed = resumeNote(info);
        this.log?.(`${label}: ${header.preset} seed ${header.seed}, α = ${String(header.config.lr)}, ${header.datasetInfo?.nTrain ?? '?'} training images, `
          + `${info.batchesPerEpoch} batches/epoch, backend ${header.backend.name}${resumed}`);
        this.redraw();
      },
      onEpoch: (rec, best) => {
        run?.epochs.push(rec);
        this.log?.(`${label} epoch ${rec.epoch}: reward ${pct(rec.trainRewardRate, 1)}, train ${pct(rec.trainAccuracy, 1)}, `
          + `val ${pct(rec.valAccuracy, 1)} (best ${pct(best.bestValAccuracy, 1)} @${best.bestEpoch}), ${rec.wallTimeSec.toFixed(1)} s`);
        this.redraw();
      },
      onEnd: (end) => {
        if (run) run.end = end;
        this.log?.(`${label}: ${end.status} after ${end.epochs} epochs, test accuracy ${pct(end.testAccuracy)} (weights of epoch ${end.bestEpoch})`);
        this.redraw();   // the finished state, kept in the saved notebook
      },
    };
  }

  /**
   * A run that was not trained because it had already finished (runExperiment → skipped): says so
   * and draws its curve like a trained one, so re-running a cell never leaves an empty output.
   */
  reused(label: string, record: RunRecord): void {
    const run: RunRecord = { ...record };
    this.runs.push(run);
    this.labels.set(run, label);
    this.log?.(`${label}: ${record.header.preset} seed ${record.header.seed} already finished (${record.end?.status ?? 'unfinished'}, `
      + `${record.end?.epochs ?? record.epochs.length} epochs, test accuracy ${pct(record.end?.testAccuracy)}) in ${record.file}: reused, not trained again`);
    this.redraw();
  }

  /** Replace the live figure in place with another one (e.g. the final curves); shown anew if none yet. */
  replace(fig: PlotlyFigure): void {
    this.show(fig);
  }

  private redraw(): void {
    this.show(this.figure());
  }

  private show(fig: PlotlyFigure): void {
    if (!this.live) this.live = liveFigure(fig, { sink: this.opts.sink });
    else this.live.update(fig);
  }
}
