// A learning rule decides one thing: the signal that enters the feedback network at the output
// units (phase 4 of Fig. 1). Layers, feedback and plasticity are shared by all rules.

export interface RuleOutput {
  /** Flat [B, n] signal for the output units (DeepAGREL: δ at the selected unit, 0 elsewhere). */
  signal: Float32Array;
  /** Reward per trial (1 = correct action), for the reward rate. */
  reward: Float32Array;
  /** Per-trial loss the rule descends: ½δ² (DeepAGREL) or cross-entropy (EBP). */
  loss: Float32Array;
}

export interface Rule {
  readonly name: 'deepagrel' | 'ebp';
  /** Does the rule act through a selected action (true) or see the label of every output (false)? */
  readonly selectsActions: boolean;
  /** q: flat [B, n] Q-values; actions: chosen output per trial; labels: correct class per trial. */
  signal(q: ArrayLike<number>, n: number, actions: Int32Array, labels: ArrayLike<number>): RuleOutput;
}
