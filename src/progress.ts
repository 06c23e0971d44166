// Terminal progress for training runs: a one-line bar with ETA on a TTY (redrawn at most ~10×/s),
// one plain line per epoch otherwise (logs, CI, sweep workers).

import type { TrainEvents } from './train.ts';

/** ", resuming after epoch 4" or, from a checkpoint inside epoch 5, ", resuming in epoch 5 at batch 210"; "" for a fresh start. */
export function resumeNote(info: { resumedFromEpoch: number; resumedAtBatch?: number }): string {
  if (info.resumedAtBatch) return `, resuming in epoch ${info.resumedFromEpoch + 1} at batch ${info.resumedAtBatch}`;
  return info.resumedFromEpoch ? `, resuming after epoch ${info.resumedFromEpoch}` : '';
}

function fmtTime(sec: number): string {
  if (!Number.isFinite(sec)) return '--:--';
  const s = Math.round(sec), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}:${String(s % 60).padStart(2, '0')}`;
}

export function progressEvents(label: string, stream: NodeJS.WriteStream = process.stderr, tty = stream.isTTY && !process.env.CI): TrainEvents {
  let last = 0, maxEpochs = 0, t0 = Date.now(), fromBatch = 0;
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  return {
    onStart(header, info) {
      maxEpochs = Number(header.config.maxEpochs);
      t0 = Date.now();
      fromBatch = info.resumedAtBatch ?? 0;     // the ETA of a resumed epoch counts only the batches timed here
      const resumed = resumeNote(info);
      stream.write(`${label}: ${header.preset} seed ${header.seed}${header.config.feedback && header.config.feedback !== 'symmetric' ? `, ${header.config.feedback} feedback` : ''}, α = ${header.config.lr}, on ${header.backend.name}, ${header.backend.threads} thread${header.backend.threads > 1 ? 's' : ''} (${info.batchesPerEpoch} batches/epoch${resumed})\n`);
    },
    onBatch(e) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && e.batch < e.batches) return;
      last = now;
      const width = 24, filled = Math.round((width * e.batch) / e.batches);
      const eta = (e.batches - e.batch) * ((now - t0) / 1000) / Math.max(1, e.batch - fromBatch);
      stream.write(`\r${label} epoch ${e.epoch}/${maxEpochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${e.batch}/${e.batches} ` +
        `reward ${pct(e.rewardRate)} ${Math.round(e.samplesPerSec)}/s ETA ${fmtTime(eta)}   `);
    },
    onEpoch(rec, run) {
      t0 = Date.now();
      fromBatch = 0;
      const line = `${label} epoch ${rec.epoch}: reward ${pct(rec.trainRewardRate)}, train ${pct(rec.trainAccuracy)}, ` +
        `val ${pct(rec.valAccuracy)} (best ${pct(run.bestValAccuracy)} @${run.bestEpoch}), ${rec.wallTimeSec.toFixed(1)} s, ${Math.round(rec.samplesPerSec)} samples/s`;
      stream.write(tty ? `\r${line.padEnd(110)}\n` : `${line}\n`);
    },
    onEnd(end) {
      const test = end.testAccuracy === null ? 'n/a' : pct(end.testAccuracy);
      stream.write(`${label}: ${end.status} after ${end.epochs} epochs; best val ${pct(end.bestValAccuracy)} @${end.bestEpoch}; test ${test}; ${fmtTime(end.totalTimeSec)}\n`);
    },
  };
}
