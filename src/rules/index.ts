import type { Rule } from './rule.ts';
import { deepagrel } from './deepagrel.ts';
import { ebp } from './ebp.ts';

export type { Rule, RuleOutput } from './rule.ts';
export const RULES: Record<string, Rule> = { deepagrel, ebp };

export function getRule(name: string): Rule {
  const r = RULES[name];
  if (!r) throw new Error(`unknown learning rule ${JSON.stringify(name)}; allowed: ${Object.keys(RULES).join(', ')}`);
  return r;
}
