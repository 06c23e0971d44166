// Early stopping, the paper's criterion: stop when the validation accuracy has not improved
// (strictly) for `patience` consecutive epochs. The best epoch's weights are the ones tested.

export class EarlyStopping {
  constructor(readonly patience: number, public bestEpoch = 0, public bestValue = -Infinity) {
    if (!(Number.isInteger(patience) && patience >= 1)) throw new Error(`patience must be an integer ≥ 1, got ${patience}`);
  }

  /** Record epoch `epoch`'s validation accuracy; returns whether it is a new best. */
  observe(epoch: number, value: number): boolean {
    if (value > this.bestValue) { this.bestValue = value; this.bestEpoch = epoch; return true; }
    return false;
  }

  /** After `epoch`, has the criterion fired? */
  shouldStop(epoch: number): boolean { return epoch - this.bestEpoch >= this.patience; }
}
