// deepagrel <command>: the workbook from the command line.
//   train | sweep | status | table | figure3 | lr-study | weight-transport | evaluate | first-steps | backend | presets | datasets | export | quickstart
// Every command has --help; a bad option gets one clear message and exit code 2.

import { parseArgs } from 'node:util';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, PRESETS, resolvePreset } from './presets.ts';
import { PathError, checkName } from './safe-fs.ts';
import { UnverifiedCheckpointError } from './checkpoint.ts';
import { runExperiment } from './train.ts';
import { InterruptedError, installCliInterrupt } from './interrupt.ts';
import { progressEvents } from './progress.ts';
import { initBackend, commandLineThreads, REQUESTS, MAX_THREADS, type BackendRequest } from './backend.ts';
import { BACKEND_HELP, backendCommand, skippedNativeLine } from './cli/backend.ts';
import { readRuns, NOT_TABLE1, LR_STUDY_EXPERIMENT, WEIGHT_TRANSPORT_EXPERIMENT, experimentMatches } from './results/reader.ts';
import { renderTable1, type Table1Format } from './results/table1.ts';
import { figure3 } from './results/figure3.ts';
import { UsageError, intFlag, secondsFlag, seedFlag, parseLrGrid, parseFeedbackList, collectOverrides, overrideHelp, overrideOptions, overridesToArgs } from './cli/options.ts';
import { runSweep, sweepJobs, jobConfig, jobRunId, EXIT_DIVERGED, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_SKIPPED, SWEEP_WORKER_ENV, type Job } from './cli/sweep.ts';
import { RunLockedError } from './run-lock.ts';

type Command = (argv: string[]) => Promise<number>;

const COMMON = {
  help: { type: 'boolean' as const, short: 'h' },
  backend: { type: 'string' as const },
  threads: { type: 'string' as const },
};

/** Options whose value is a folder or file: an empty one would quietly mean the current folder (or be ignored). */
const PATH_OPTIONS = ['results', 'checkpoints', 'data-dir', 'out', 'run'];
/** Options whose value becomes one folder or file name under the results and checkpoint roots. */
const NAME_OPTIONS = ['experiment', 'run-id'];

function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>>(argv: string[], options: T) {
  // "--lr -1" is a value, not an option: hand it to the range check ("lr must be … > 0") instead of
  // Node's "argument is ambiguous".
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([^=]+)$/.exec(argv[i])?.[1];
    if (name && options[name]?.type === 'string' && /^-(\d|\.\d)/.test(argv[i + 1] ?? '')) args.push(`${argv[i]}=${argv[++i]}`);
    else args.push(argv[i]);
  }
  let values: Record<string, any>;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<string, any>;
  } catch (e: any) {
    throw new UsageError(e.message);
  }
  for (const flag of PATH_OPTIONS) for (const v of [values[flag]].flat())
    if (v === '') throw new UsageError(`--${flag} is empty; give a folder or file (or leave the option out for its default)`);
  for (const flag of NAME_OPTIONS) if (values[flag] !== undefined) checkName(values[flag], `--${flag}`);
  return values;
}

/** Bad preset names and option values are usage errors (exit code 2), like unknown flags. */
function usage<T>(f: () => T): T {
  try { return f(); } catch (e: any) { throw e instanceof UsageError ? e : new UsageError(e?.message ?? String(e)); }
}

/** --backend and --threads, checked before anything starts (a bad one is a usage error, exit 2). */
function backendOptions(values: Record<string, any>): { backend?: BackendRequest; threads?: number } {
  if (values.backend !== undefined && !(REQUESTS as readonly string[]).includes(values.backend))
    throw new UsageError(`--backend must be one of ${REQUESTS.join(', ')}, got ${JSON.stringify(values.backend)}`);
  return { backend: values.backend, threads: intFlag(values, 'threads', 1, MAX_THREADS) };
}

async function setupBackend(values: Record<string, any>) {
  const o = backendOptions(values);
  const info = await initBackend({ backend: o.backend, threads: o.threads ?? commandLineThreads() });
  const skipped = skippedNativeLine(info);   // say why the faster path is off, once, on stderr
  if (skipped) console.error(skipped);
  return info;
}

const TRAIN_HELP = `deepagrel train --preset <name> [--seed N] [options]

Trains one run (one Table 1 row, one seed) with early stopping; writes
results/<experiment>/<preset>-s<seed>.jsonl and a checkpoint after every epoch (and every
5 minutes inside one).
Re-running the same command resumes from the last checkpoint; a finished run is skipped.

  --preset NAME        a Table 1 row, e.g. mnist-conv-deepagrel (see: deepagrel presets)
  --seed N             seed for init, shuffling, dropout and action selection: an integer
                       from 0 to 4294967295 (default 1); each seed its own random stream
  --data-dir DIR       folder with the official dataset files (default: env DEEPAGREL_DATA, cache, download)
  --experiment NAME    results/<NAME>/ (default table1; weight-transport with --feedback); NAME and --run-id are one file name each:
                       letters, digits, . _ + - = , @ (no /, no leading dot)
  --results DIR        results root (default results)
  --checkpoints DIR    checkpoint root (default checkpoints)
  --protocol TEXT      label for records and tables (default: "paper" or the overrides); either
                       way "data not bit-exact" is added when the data is a re-encoded copy
  --run-id NAME        file name of the run (default <preset>-s<seed>; <preset>[-<feedback>][-lr<α>]-s<seed> with
                       other feedback than symmetric or at another α than the preset's)
  --no-resume          start over even if a checkpoint exists
  --accept-unverified-checkpoint
                       resume from a checkpoint of the first format (DAGCKPT1, before checksums),
                       which is refused otherwise: nothing shows its weights are the ones written
  --keep-weights       keep the finished run's weights (<checkpoints>/<experiment>/<run>.final.ckpt)
                       for deepagrel evaluate; without it a finished run's checkpoint is deleted
  --checkpoint-every S inside an epoch, checkpoint again every S seconds (default 300; 0 = only at the
                       end of each epoch): a killed run resumes at that batch, exactly as if never stopped
  --backend NAME       tensorflow | native | wasm | cpu (default: best available; see deepagrel backend)
  --threads N          compute threads, 1 to 256 (default: all cores; sweeps divide the cores among workers)
Exit codes: 0 done (or already finished), 2 a bad option (nothing written), 3 another process is
training this run, 5 the run diverged (its record is kept), 130 interrupted (resumable), 1 other errors.
Overrides of the preset:
${overrideHelp()}`;

/** Runs with --feedback (even symmetric, as a study's baseline) go to results/weight-transport/, never among Table 1's. */
function defaultExperiment(cfg: { feedback: string }, feedbackGiven: boolean): string | undefined {
  return feedbackGiven || cfg.feedback !== 'symmetric' ? WEIGHT_TRANSPORT_EXPERIMENT : undefined;
}

const train: Command = async argv => {
  const v = parse(argv, { ...COMMON, ...overrideOptions(), preset: { type: 'string' }, seed: { type: 'string' }, 'data-dir': { type: 'string' },
    experiment: { type: 'string' }, results: { type: 'string' }, checkpoints: { type: 'string' }, protocol: { type: 'string' }, 'no-resume': { type: 'boolean' },
    'run-id': { type: 'string' }, 'keep-weights': { type: 'boolean' }, 'accept-unverified-checkpoint': { type: 'boolean' },
    'checkpoint-every': { type: 'string' } });
  if (v.help) { console.log(TRAIN_HELP); return 0; }
  if (!v.preset) throw new UsageError('train needs --preset (see: deepagrel presets)');
  const seed = seedFlag(v) ?? 1;
  const cfg = usage(() => resolvePreset(v.preset, collectOverrides(v)));
  backendOptions(v);
  // Default: configRunName (α and feedback in the name when not the paper's), as sweeps and notebooks name runs.
  const runId = v['run-id'];
  if (runId !== undefined) checkName(runId, '--run-id');
  const checkpointEverySec = secondsFlag(v, 'checkpoint-every');
  await setupBackend(v);
  // Ctrl-C: the run stops after the current batch, keeps its checkpoint and says how to resume.
  const removeInterrupt = installCliInterrupt();
  let res;
  try {
    res = await runExperiment(cfg, { seed, dataDir: v['data-dir'], experiment: v.experiment ?? defaultExperiment(cfg, v.feedback !== undefined), resultsRoot: v.results,
      checkpointRoot: v.checkpoints, protocol: v.protocol, runId, resume: !v['no-resume'], keepWeights: v['keep-weights'],
      acceptUnverifiedCheckpoint: v['accept-unverified-checkpoint'], checkpointEverySec, events: progressEvents(`${cfg.preset}${cfg.feedback !== 'symmetric' ? ` ${cfg.feedback}` : ''} s${seed}`) });
  } catch (e) {
    if (!(e instanceof InterruptedError)) throw e;
    console.error(`\n${e.message}${e.info.file ? ` Record: ${e.info.file}` : ''}`);
    return EXIT_INTERRUPTED;
  } finally { removeInterrupt(); }
  res.network?.dispose();
  const end = res.record?.end;
  if (res.skipped) console.log(`${res.record?.file}: already finished (${end?.status}); nothing to do`);
  else if (res.record?.file) console.log(`run record: ${res.record.file}`);
  // Diverged is an outcome the record keeps, but not a success: scripts and sweeps see it in the exit code.
  if (end?.status === 'diverged') {
    console.error(`deepagrel train: ${res.record?.file}: the run diverged (${end.message ?? 'non-finite weights'}); its record is kept; a smaller --lr is another run`);
    return EXIT_DIVERGED;
  }
  return res.skipped && process.env[SWEEP_WORKER_ENV] ? EXIT_SKIPPED : 0;
};

const SWEEP_HELP = `deepagrel sweep --presets <glob> --seeds <list> [--workers N] [--shard i/n] [train options]

Runs every (preset, seed) job, each in its own process, at most --workers at once
(default: one per core); finished runs are skipped, unfinished ones resume.
  --presets GLOB       e.g. "mnist-*" or "cifar10-conv-*,cifar100-conv-deepagrel"
  --seeds LIST         e.g. 1-10 or 1,3,5
  --workers N          parallel worker processes
  --shard i/n          run only every n-th job starting at the i-th (cluster array jobs)
  --lr LIST            one α for every run, or a grid, e.g. 0.003,0.01,0.03,0.1: one run per α;
                       a run at another α than its preset's is named <preset>-lr<α>-s<seed>; a grid
                       goes to results/lr-study/ unless --experiment says otherwise (notebook 08)
  --feedback LIST      one feedback mode for every run, or several, e.g. symmetric,sign-symmetric,direct:
                       one run per mode, named <preset>-<mode>-s<seed> (symmetric: <preset>-s<seed>);
                       into results/weight-transport/ unless --experiment says (notebook 09)
  --dry-run            list the jobs and exit
  --keep-weights       every finished run keeps its weights (for deepagrel evaluate)
  --checkpoint-every S checkpoint inside long epochs every S seconds (default 300; 0 = at epoch ends only)
Exit code 1 when a job failed; a run that diverged counts as failed (its record is kept).
SLURM job array (10 tasks share one results folder): scripts/slurm/sweep.sbatch, e.g.
  sbatch --array=1-10 --export=ALL,PRESETS='cifar10-*',SEEDS=1-10,RESULTS=/shared/results scripts/slurm/sweep.sbatch
All train options (--data-dir, --experiment, --results, overrides) are passed to every job:
${overrideHelp()}`;

const sweep: Command = async argv => {
  const v = parse(argv, { ...COMMON, ...overrideOptions(), presets: { type: 'string' }, seeds: { type: 'string' }, workers: { type: 'string' },
    shard: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'data-dir': { type: 'string' }, experiment: { type: 'string' },
    results: { type: 'string' }, checkpoints: { type: 'string' }, protocol: { type: 'string' }, 'keep-weights': { type: 'boolean' },
    'accept-unverified-checkpoint': { type: 'boolean' }, 'checkpoint-every': { type: 'string' } });
  if (v.help) { console.log(SWEEP_HELP); return 0; }
  if (!v.presets) throw new UsageError('sweep needs --presets (e.g. "mnist-*")');
  // --lr: every job at that α (or each α of a grid); a run at another α than its preset's is named
  // <preset>-lr<α>-s<seed>. A grid (two or more values) goes to results/lr-study/ unless --experiment says.
  const lrs = v.lr === undefined ? [] : usage(() => parseLrGrid(v.lr));
  delete v.lr;
  // --feedback: every job with that mode, or one job per mode of a list (feedback/modes.ts).
  const modes = v.feedback === undefined ? [] : usage(() => parseFeedbackList(v.feedback));
  delete v.feedback;
  const jobs = usage(() => sweepJobs(v.presets, v.seeds ?? '1', v.shard, lrs.length ? lrs : undefined, modes.length ? modes : undefined));
  // --feedback given (even symmetric alone): a weight-transport study, never runs for Table 1's folder
  const experiment: string = v.experiment ?? (modes.length ? WEIGHT_TRANSPORT_EXPERIMENT : lrs.length > 1 ? LR_STUDY_EXPERIMENT : 'table1');
  const overrides = usage(() => collectOverrides(v));
  const configOf = (j: Job) => ({ ...jobConfig(j, overrides) });
  for (const j of jobs) usage(() => configOf(j));   // validate up front
  backendOptions(v);
  secondsFlag(v, 'checkpoint-every');   // checked here, passed on to every job
  const workers = intFlag(v, 'workers', 1, 1024);
  if (v['dry-run']) {
    console.log(`${jobs.length} job(s) into ${path.join(v.results ?? 'results', experiment)}:`);
    for (const j of jobs) console.log(`${j.preset}${j.feedback ? ` ${j.feedback}` : ''}${j.lr ? ` α=${j.lr}` : ''} seed ${j.seed} → ${jobRunId(j)}`);
    return 0;
  }
  const pass = (flag: string) => v[flag] === undefined ? [] : [`--${flag}`, v[flag]];
  const trainArgs = [...overridesToArgs(v), ...pass('data-dir'), ...pass('checkpoints'), ...pass('protocol'), ...pass('backend'), ...pass('threads'), ...pass('checkpoint-every'),
    ...(v['keep-weights'] ? ['--keep-weights'] : []), ...(v['accept-unverified-checkpoint'] ? ['--accept-unverified-checkpoint'] : [])];
  const r = await runSweep({ jobs, workers, experiment, resultsRoot: v.results ?? 'results', checkpointRoot: v.checkpoints, trainArgs, configOf, protocol: v.protocol });
  return r.stoppedBy ? EXIT_INTERRUPTED : r.failed.length || r.interrupted.length ? 1 : 0;
};

/** The runs of the given folders; by default results/ without the runs that are not Table 1 runs
 *  (quick start, learning-rate study, ε check: NOT_TABLE1). */
/** Each --results folder must exist: one usage error naming the first that does not. */
function requireFolders(dirs: string[]): void {
  for (const d of dirs) if (!fs.existsSync(d)) throw new UsageError(`--results ${d}: no such folder`);
}

function tableRuns(dirs: string[] | undefined) {
  return dirs ? readRuns(dirs) : readRuns(['results']).filter(r => !experimentMatches(r.header.experiment, NOT_TABLE1));
}

const TABLE_HELP = `deepagrel table [--results DIR ...] [--format md|csv|html|latex|json] [--out FILE] [--all-rows]

Table 1 from the run records: mean (sd) of epochs and test accuracy per row, "*" with the
count when some seeds did not converge, the paper's numbers alongside. Without --results: every
run under results/ except the quick start, feedback-weight, learning-rate-study and ε-check ones.
--all-rows: every row of the paper's Table 1, a row without runs saying why ("not run: …") and
the command that runs it.`;

const FORMATS: Table1Format[] = ['md', 'csv', 'html', 'latex', 'json'];

async function writeAtomic(file: string, text: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

const table: Command = async argv => {
  const v = parse(argv, { help: COMMON.help, results: { type: 'string', multiple: true }, format: { type: 'string' }, out: { type: 'string' }, 'all-rows': { type: 'boolean' } });
  if (v.help) { console.log(TABLE_HELP); return 0; }
  const format = (v.format ?? 'md') as Table1Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(v.format)}`);
  const dirs: string[] = v.results ?? ['results'];
  requireFolders(dirs);
  const text = renderTable1(tableRuns(v.results), format, { allRows: v['all-rows'] === true });
  if (v.out) { await writeAtomic(v.out, text); console.log(`wrote ${v.out}`); } else console.log(text);
  return 0;
};

const FIGURE3_HELP = `deepagrel figure3 [--results DIR ...] [--out results/figures/figure3.svg] [--datasets cifar10,cifar100]
                 [--arch conv] [--augment] [--split-protocols] [--finished-only] [--width 900 --height 420 --scale 2]

Figure 3: mean ± 2σ over seeds, per epoch, of DeepAGREL's reward probability and EBP's
1 − error, one panel per dataset. --split-protocols: a rule whose runs come from several
protocols (e.g. EBP at the paper's α and at a tuned α) gets one labelled curve per protocol.
Runs still under way are drawn as far as they got and named in the caption; --finished-only
leaves them out (for a figure to publish mid-sweep). Always writes the interactive HTML next to --out; SVG, PNG
and PDF need a Chromium (Debian: apt install chromium; or set DEEPAGREL_CHROMIUM).`;

const FINDINGS_HELP = `deepagrel findings [--results DIR ...]

README's "What the reproduction found", written from the run records (finished runs; the paper's
band is its mean ± 2 sd): per dataset and rule, each row's accuracy, seeds and where it falls,
DeepAGREL minus EBP per net, and the paper's rows not run.`;

const findingsCmd: Command = async argv => {
  const v = parse(argv, { help: COMMON.help, results: { type: 'string', multiple: true } });
  if (v.help) { console.log(FINDINGS_HELP); return 0; }
  requireFolders(v.results ?? []);
  const { renderFindings } = await import('./results/findings.ts');
  process.stdout.write(renderFindings(tableRuns(v.results)));
  return 0;
};

const figure3Cmd: Command = async argv => {
  const v = parse(argv, { help: COMMON.help, results: { type: 'string', multiple: true }, out: { type: 'string' }, datasets: { type: 'string' },
    arch: { type: 'string' }, augment: { type: 'boolean' }, 'split-protocols': { type: 'boolean' }, 'finished-only': { type: 'boolean' }, width: { type: 'string' }, height: { type: 'string' }, scale: { type: 'string' } });
  if (v.help) { console.log(FIGURE3_HELP); return 0; }
  const out: string = v.out ?? 'results/figures/figure3.svg';
  const runs = tableRuns(v.results);
  const fig = figure3(runs, { datasets: v.datasets?.split(','), arch: v.arch, augment: v.augment ?? false, splitProtocols: v['split-protocols'] ?? false, finishedOnly: v['finished-only'] ?? false });
  const { exportFigure } = await import('./plots/export.ts');
  const num = (k: string) => v[k] === undefined ? undefined : Number(v[k]);
  const written = await exportFigure(fig, out, { width: num('width'), height: num('height'), scale: num('scale') });
  for (const f of written) console.log(`wrote ${f}`);
  return 0;
};

const LR_STUDY_HELP = `deepagrel lr-study [--results DIR ...] [--presets a,b] [--format md|json] [--out results/figures/lr-study.svg]

The learning-rate study from the run records of a grid sweep (sweep --lr 0.003,0.01,0.03 ...):
per preset and α, the best validation accuracy within the fixed budget (mean, sd, every seed), the
test accuracy of those weights, and the α the study picks (highest mean validation accuracy, no
diverged seed). Prints the table; with --out also writes the figures (accuracy vs α, and
<name>-curves: validation accuracy per epoch per α), HTML always, SVG/PNG/PDF with a Chromium.`;

const lrStudyCmd: Command = async argv => {
  const v = parse(argv, { help: COMMON.help, results: { type: 'string', multiple: true }, presets: { type: 'string' }, format: { type: 'string' },
    out: { type: 'string' }, scale: { type: 'string' } });
  if (v.help) { console.log(LR_STUDY_HELP); return 0; }
  const dirs: string[] = v.results ?? [path.join('results', LR_STUDY_EXPERIMENT)];
  requireFolders(dirs);
  if (v.format !== undefined && !['md', 'json'].includes(v.format)) throw new UsageError(`--format must be md or json, got ${JSON.stringify(v.format)}`);
  const { lrStudy, lrStudyMarkdown, lrSummaryFigure, lrCurvesFigure } = await import('./results/lr-study.ts');
  const runs = readRuns(dirs);
  const presets = v.presets?.split(',');
  const study = lrStudy(presets ? runs.filter(r => presets.includes(r.header.preset)) : runs);
  if (study.cells.length === 0) throw new UsageError(`no learning-rate grid in ${dirs.join(', ')}${presets ? ` for ${presets.join(', ')}` : ''}: a preset needs runs at two or more α on one budget (deepagrel sweep --lr 0.003,0.01,0.03 ...)`);
  console.log(v.format === 'json' ? JSON.stringify(study, null, 2) : lrStudyMarkdown(study));
  if (v.out) {
    const { exportFigure } = await import('./plots/export.ts');
    const scale = v.scale === undefined ? undefined : Number(v.scale);
    const curvesOut = v.out.replace(/(\.[a-z]+)?$/i, (m: string) => `-curves${m}`);
    for (const [fig, out] of [[lrSummaryFigure(study, { presets }), v.out], [lrCurvesFigure(runs, { presets }), curvesOut]] as const)
      for (const f of await exportFigure(fig, out, { scale })) console.error(`wrote ${f}`);
  }
  return 0;
};

const WEIGHT_TRANSPORT_HELP = `deepagrel weight-transport [--results DIR ...] [--format md|csv|json] [--out FIGURE]

The weight-transport table (notebook 09) from the run records: per net, rule and feedback mode,
α, seeds, epochs, test accuracy (%, mean ± sd over seeds; diverged runs counted apart) and the
last epoch's angle between each layer's update and the true gradient (bottom layer, top hidden
layer). Default --results results/weight-transport. --out FILE (.html, .svg, .png, .pdf) also
writes the accuracy figure, and FILE-angles-<net>-<rule> the angles to the gradient per layer. The runs: deepagrel sweep --feedback <modes> (see sweep --help).`;

const weightTransportCmd: Command = async argv => {
  const v = parse(argv, { help: COMMON.help, results: { type: 'string', multiple: true }, format: { type: 'string' }, out: { type: 'string' } });
  if (v.help) { console.log(WEIGHT_TRANSPORT_HELP); return 0; }
  const dirs: string[] = v.results ?? [path.join('results', WEIGHT_TRANSPORT_EXPERIMENT)];
  requireFolders(dirs);
  if (v.format !== undefined && !['md', 'csv', 'json'].includes(v.format)) throw new UsageError(`--format must be md, csv or json, got ${JSON.stringify(v.format)}`);
  const { transportTable, transportAccuracyFigure, transportAlignmentFigure, presetOf } = await import('./notebook/weight-transport.ts');
  const runs = readRuns(dirs).filter(r => r.end);
  if (runs.length === 0) throw new UsageError(`no finished runs in ${dirs.join(', ')} (deepagrel sweep --feedback … makes them)`);
  const t = transportTable(runs);
  console.log(v.format === 'json' ? JSON.stringify(t.objects(), null, 2) : v.format === 'csv' ? t.toCSV() : t.toMarkdown());
  if (v.out) {
    const { exportFigure } = await import('./plots/export.ts');
    for (const f of await exportFigure(transportAccuracyFigure(runs), v.out)) console.error(`wrote ${f}`);
    // and per MNIST net and rule with runs other than symmetric: each layer's angle to the gradient
    for (const [net, rule] of [['fc', 'deepagrel'], ['fc', 'ebp'], ['conv', 'deepagrel'], ['conv', 'ebp']] as const) {
      if (!runs.some(r => r.header.preset === presetOf(net, rule) && r.header.config.feedback !== 'symmetric')) continue;
      const out = v.out.replace(/(\.[a-z]+)?$/i, (m: string) => `-angles-${net}-${rule}${m}`);
      for (const f of await exportFigure(transportAlignmentFigure(runs, net, rule), out)) console.error(`wrote ${f}`);
    }
  }
  return 0;
};

const STATUS_HELP = `deepagrel status [--results DIR ...] [--checkpoints DIR] [--json]

Every run under the results folders (default: results): its state (converged, max-epochs,
diverged; training = a process holds its lock now; stopped = unfinished with nobody on it, so
the same train/sweep command resumes it), epochs done of the cap, best validation and test
accuracy, minutes per epoch, and for unfinished runs the time left: until early stopping could
fire at the earliest, until the epoch cap at the latest.`;

const status: Command = async argv => {
  const v = parse(argv, { help: COMMON.help, results: { type: 'string', multiple: true }, checkpoints: { type: 'string' }, json: { type: 'boolean' } });
  if (v.help) { console.log(STATUS_HELP); return 0; }
  const dirs: string[] = v.results ?? ['results'];
  requireFolders(dirs);
  const { statusRows, renderStatus } = await import('./cli/status.ts');
  const rows = statusRows(dirs, v.checkpoints ?? 'checkpoints');
  process.stdout.write(v.json ? JSON.stringify(rows, null, 2) + '\n' : renderStatus(rows));
  return 0;
};

const FIRST_STEPS_HELP = `deepagrel first-steps --setting <dataset-arch> [--input-scale 1,255] [--seed 1] [--batches 3]
                     [--data-dir DIR] [--backend b]

Why a setting starts slowly: per weighted layer, the mean |activity| at initialisation and how far
one training step moves the weights (mean |ΔW| / mean |W|) for DeepAGREL and EBP, each at its
preset's α, from the same initial weights on the same training batches; one table per pixel scale.
  --setting S          a Table 1 setting, e.g. mnist-conv, cifar10-conv, cifar10-loccon-aug`;

const firstStepsCmd: Command = async argv => {
  const v = parse(argv, { ...COMMON, setting: { type: 'string' }, 'input-scale': { type: 'string' }, seed: { type: 'string' },
    batches: { type: 'string' }, 'data-dir': { type: 'string' } });
  if (v.help) { console.log(FIRST_STEPS_HELP); return 0; }
  if (!v.setting) throw new UsageError('first-steps needs --setting (e.g. cifar10-conv)');
  const configs = usage(() => ['deepagrel', 'ebp'].map(rule => resolvePreset(`${v.setting}-${rule}`)));
  const scales = String(v['input-scale'] ?? '1,255').split(',').map(Number);
  if (scales.some(s => !(s > 0 && Number.isFinite(s)))) throw new UsageError(`--input-scale expects positive numbers, e.g. 1,255; got ${v['input-scale']}`);
  const seed = seedFlag(v) ?? 1, batches = intFlag(v, 'batches', 1) ?? 3;
  await setupBackend(v);
  const { loadDataset } = await import('./data/datasets.ts');
  const { firstSteps, renderFirstSteps } = await import('./first-steps.ts');
  const ds = await loadDataset(configs[0].dataset, { dataDir: v['data-dir'] });
  console.log(`${v.setting}, seed ${seed}, ${ds.source}\n`);
  const results = scales.map(inputScale => firstSteps(configs, ds.train, ds.numClasses, { inputScale, seed, batches }));
  console.log(renderFirstSteps(results, configs.map(c => c.rule), Object.fromEntries(configs.map(c => [c.rule, c.lr]))));
  return 0;
};

const EVALUATE_HELP = `deepagrel evaluate --run results/<experiment>/<run>.jsonl [--weights best|last] [--sets train,val,test]
                   [--checkpoints DIR] [--data-dir DIR] [--json] [--out FILE] [--backend b] [--threads N]

A run's weights on its own training, validation and test images in test mode (no dropout,
greedy choice), like Keras' model.evaluate: the record's training accuracy is measured while
training, with dropout on, so only this tells underfitting from overfitting. Beside each number,
what the record says (validation and test accuracy of the same weights agree on the same backend).
  --run FILE           the run record; its weights: the checkpoint of an unfinished run, or the
                       weights a finished run kept (train/sweep --keep-weights)
  --weights W          best (default: the best-validation weights, which the test accuracy is of) | last
  --out FILE           also write the evaluation as JSON, with provenance (backend, versions, commit)
  --accept-unverified-checkpoint   read weights from a first-format checkpoint (DAGCKPT1, no checksum) too`;

const evaluateCmd: Command = async argv => {
  const v = parse(argv, { ...COMMON, run: { type: 'string' }, weights: { type: 'string' }, sets: { type: 'string' },
    checkpoints: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' },
    'accept-unverified-checkpoint': { type: 'boolean' } });
  if (v.help) { console.log(EVALUATE_HELP); return 0; }
  if (!v.run) throw new UsageError('evaluate needs --run (a results/<experiment>/<run>.jsonl file)');
  const { evaluateRun, renderEvaluation, EVAL_SETS } = await import('./evaluate.ts');
  const weights = v.weights ?? 'best';
  if (weights !== 'best' && weights !== 'last') throw new UsageError(`--weights must be best or last, got ${JSON.stringify(v.weights)}`);
  const sets = v.sets === undefined ? undefined : String(v.sets).split(',');
  const badSet = sets?.find(s => !(EVAL_SETS as readonly string[]).includes(s));
  if (badSet !== undefined) throw new UsageError(`--sets takes ${EVAL_SETS.join(', ')} (comma-separated), got ${JSON.stringify(badSet)}`);
  await setupBackend(v);
  const e = await evaluateRun(v.run, { weights, sets: sets as any, checkpointRoot: v.checkpoints, dataDir: v['data-dir'], acceptUnverifiedCheckpoint: v['accept-unverified-checkpoint'] });
  console.log(v.json ? JSON.stringify(e, null, 2) : renderEvaluation(e));
  if (v.out) { await writeAtomic(v.out, JSON.stringify(e, null, 2) + '\n'); console.error(`wrote ${v.out}`); }
  return 0;
};

const backendCmd: Command = async argv => {
  const v = parse(argv, { ...COMMON, json: { type: 'boolean' } });
  if (v.help) { console.log(BACKEND_HELP); return 0; }
  const o = backendOptions(v);
  return backendCommand(v, o.threads ?? commandLineThreads());
};

const presets: Command = async argv => {
  const v = parse(argv, { help: COMMON.help, json: { type: 'boolean' } });
  if (v.help) { console.log('deepagrel presets [--json]: the Table 1 rows available as presets'); return 0; }
  if (v.json) { console.log(JSON.stringify(PRESETS, null, 2)); return 0; }
  for (const [name, p] of Object.entries(PRESETS))
    console.log(`${name.padEnd(30)} α=${p.lr}  init ±${p.init}  ${p.augment ? `augment ×${p.augmentFactor}` : ''}`);
  return 0;
};

const datasets: Command = async argv => (await import('./data/datasets-cli.ts')).datasetsCommand(argv);
const exportCmd: Command = async argv => (await import('./plots/export-cli.ts')).exportCommand(argv);
const quickstart: Command = async argv => (await import('./cli/quickstart.ts')).quickstartCommand(argv);

const COMMANDS: Record<string, [Command, string]> = {
  train: [train, 'train one preset and seed (resumable)'],
  sweep: [sweep, 'run presets × seeds in worker processes'],
  status: [status, 'which runs are finished, training, or stopped (resumable)'],
  table: [table, 'Table 1 from the run records'],
  findings: [findingsCmd, "README's findings, written from the run records"],
  figure3: [figure3Cmd, 'Figure 3 from the run records (HTML, SVG, PNG, PDF)'],
  'lr-study': [lrStudyCmd, 'the learning-rate study from a grid sweep (sweep --lr a,b,c): table, pick, figures'],
  'weight-transport': [weightTransportCmd, 'the weight-transport table (feedback modes × rules, notebook 09) from the run records'],
  evaluate: [evaluateCmd, "a run's weights on its train/validation/test images in test mode (no dropout)"],
  'first-steps': [firstStepsCmd, 'activity and first-update sizes per layer, both rules (why a setting starts slowly)'],
  backend: [backendCmd, 'which backend and kernels run, library versions, threads; why native is off'],
  presets: [presets, 'list the Table 1 presets'],
  datasets: [datasets, 'which datasets are available where; verify checksums'],
  export: [exportCmd, 'export a Plotly figure JSON to SVG/PNG/PDF'],
  quickstart: [quickstart, 'DeepAGREL vs EBP on MNIST in a few minutes (npm start)'],
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log('deepagrel <command> [--help]\n\n' + Object.entries(COMMANDS).map(([n, [, h]]) => `  ${n.padEnd(11)} ${h}`).join('\n'));
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) { console.error(`deepagrel: unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')}`); return 2; }
  try {
    return await cmd[0](rest);
  } catch (e: any) {
    console.error(`deepagrel ${name}: ${e?.message ?? e}`);
    if (process.env.DEEPAGREL_DEBUG) console.error(e?.stack);
    // Bad option values found only once the data is loaded or a folder is tried are usage errors too.
    // A first-format checkpoint needs the user's decision (start over, or accept it): like a bad option.
    return e instanceof UsageError || e instanceof ConfigError || e instanceof PathError || e instanceof UnverifiedCheckpointError ? 2
      : e instanceof RunLockedError ? EXIT_LOCKED : 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(code => { process.exitCode = code; });
}
