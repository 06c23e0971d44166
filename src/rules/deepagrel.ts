// DeepAGREL (section 2): direct reward r = 1 if the selected class is right, else 0; the reward
// prediction error δ = r − q_s is global; only the selected output unit s sends feedback (z_s = 1,
// z_{l≠s} = 0). The signal δ·z is what makes ΔW = α·δ·pre·g·fb after the feedback pass.
// This is gradient descent on E = ½δ² for the selected output only (Appendix A).

import type { Rule, RuleOutput } from './rule.ts';

export const deepagrel: Rule = {
  name: 'deepagrel',
  selectsActions: true,
  signal(q, n, actions, labels): RuleOutput {
    const B = actions.length;
    const signal = new Float32Array(B * n), reward = new Float32Array(B), loss = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      const s = actions[b];
      const r = s === labels[b] ? 1 : 0;
      const rpe = r - q[b * n + s];          // δ = r − q_s
      signal[b * n + s] = rpe;                // z_s = 1 carries δ; all other outputs stay silent
      reward[b] = r;
      loss[b] = 0.5 * rpe * rpe;
    }
    return { signal, reward, loss };
  },
};
