// Error backpropagation baseline, as the paper trains it: softmax over all outputs and the
// cross-entropy error; −∂E/∂q = t − softmax(q) enters the same feedback machinery at every output.
// Reward (for the reward rate) is that of the greedy choice: EBP does not explore.

import type { Rule, RuleOutput } from './rule.ts';

export const ebp: Rule = {
  name: 'ebp',
  selectsActions: false,
  signal(q, n, actions, labels): RuleOutput {
    const B = actions.length;
    const signal = new Float32Array(B * n), reward = new Float32Array(B), loss = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      const off = b * n;
      let m = -Infinity;
      for (let l = 0; l < n; l++) m = Math.max(m, q[off + l]);
      let z = 0;
      for (let l = 0; l < n; l++) z += Math.exp(q[off + l] - m);
      const t = labels[b];
      for (let l = 0; l < n; l++) signal[off + l] = (l === t ? 1 : 0) - Math.exp(q[off + l] - m) / z;
      loss[b] = Math.log(z) + m - q[off + t];   // −log softmax(q)_t
      reward[b] = actions[b] === t ? 1 : 0;
    }
    return { signal, reward, loss };
  },
};
