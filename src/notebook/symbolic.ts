// Appendix A on paper, redone by a computer algebra system (mathjs): a scalar chain network
//   x →u→ a¹ → ReLU → y¹ →v→ a² → ReLU → y² →w→ q,   E = ½(r − q)²,  δ = r − q
// with one unit per layer. mathjs differentiates E with respect to each weight; we check that
// −α·∂E/∂θ equals the DeepAGREL update of the paper's eqs (6), (7) and (10) —
//   (6)  Δw = α·δ·y²·z_s
//   (7)  Δv = α·δ·y¹·g²·w′·z_s
//   (10) Δu = α·δ·x·g¹·v′·g²·w′·z_s
// with z_s = 1 (the unit was selected) and symmetric feedback weights (w′ = w, v′ = v):
//  1. symbolically: on each linear piece of the ReLUs, y = g·a with a constant gate g ∈ {0, 1}, so
//     E is a polynomial; simplify(∂E/∂θ − (−Δθ/α)) must be 0;
//  2. numerically, with the real ReLU: at random sample points (some with silent units), the
//     mathjs derivative (gates from the forward pass), central finite differences of the true E,
//     and the paper's four-factor update must agree.

import * as math from 'mathjs';
import { Rng } from '../rng.ts';

export type ChainWeight = 'w' | 'v' | 'u';

/** E on the linear piece of both ReLUs (y¹ = g1·u·x, y² = g2·v·y¹). */
export const CHAIN_LOSS = '0.5 * (r - w * g2 * v * g1 * u * x)^2';

/** −Δθ/α of the paper's equation, in the network's variables (z_s = 1, w′ = w, v′ = v, δ = r − q). */
const DELTA = '(r - w * g2 * v * g1 * u * x)';
const Y1 = '(g1 * u * x)';
const Y2 = `(g2 * v * ${Y1})`;
const PAPER_UPDATE_OVER_ALPHA: Record<ChainWeight, string> = {
  w: `${DELTA} * ${Y2} * 1`,                      // (6)  δ·y²·z_s
  v: `${DELTA} * ${Y1} * g2 * w * 1`,             // (7)  δ·y¹·g²·w′·z_s
  u: `${DELTA} * x * g1 * v * g2 * w * 1`,        // (10) δ·x·g¹·v′·g²·w′·z_s
};

/** The same, written with the paper's symbols, for display (checked equal after expandPaperSymbols). */
const FACTORED: Record<ChainWeight, string> = {
  w: '-delta * y2',
  v: '-delta * w * g2 * y1',
  u: '-delta * w * g2 * v * g1 * x',
};

/** delta, y1, y2 → their definitions in the network's variables. */
export function expandPaperSymbols(node: math.MathNode): math.MathNode {
  const defs: Record<string, string> = { delta: DELTA, y1: Y1, y2: Y2 };
  return node.transform((n) => (n.type === 'SymbolNode' && defs[(n as math.SymbolNode).name] ? math.parse(defs[(n as math.SymbolNode).name]) : n));
}

const PAPER_TEX: Record<ChainWeight, { eq: string; tex: string }> = {
  w: { eq: '6', tex: String.raw`\Delta w_{k,s} = \alpha \cdot \delta \cdot y_k^{(2)} \cdot z_s` },
  v: { eq: '7', tex: String.raw`\Delta v_{j,k} = \alpha \cdot \delta \cdot y_j^{(1)} \cdot g_{(2)k} \cdot w'_{s,k} \cdot z_s` },
  u: { eq: '10', tex: String.raw`\Delta u_{i,j} = \alpha \cdot \delta \cdot x_i \cdot g_{(1)_j} \cdot \sum_k v'_{k,j} \cdot g_{(2)_k} \cdot w'_{s,k} \cdot z_s` },
};

const TEX_NAMES: Record<string, string> = {
  delta: String.raw`\delta`, y1: 'y^{(1)}', y2: 'y^{(2)}', g1: 'g^{(1)}', g2: 'g^{(2)}', alpha: String.raw`\alpha`,
};

/** LaTeX of a mathjs node with the paper's symbol names (y1 → y^{(1)}, g2 → g^{(2)}, delta → δ). */
export function paperTex(node: math.MathNode): string {
  return node.toTex({
    handler: (n: math.MathNode) => (n.type === 'SymbolNode' && TEX_NAMES[(n as math.SymbolNode).name] ? ` ${TEX_NAMES[(n as math.SymbolNode).name]}` : undefined),
  } as object);
}

/** The forward pass and the loss, as LaTeX lines. */
export const CHAIN_NETWORK_TEX = [
  String.raw`a^{(1)} = u\,x, \quad y^{(1)} = \mathrm{ReLU}(a^{(1)}) = g^{(1)} a^{(1)}, \quad g^{(1)} = [a^{(1)} > 0]`,
  String.raw`a^{(2)} = v\,y^{(1)}, \quad y^{(2)} = \mathrm{ReLU}(a^{(2)}) = g^{(2)} a^{(2)}, \quad g^{(2)} = [a^{(2)} > 0]`,
  String.raw`q = w\,y^{(2)}, \quad \delta = r - q, \quad E = \tfrac12 \delta^2 = \tfrac12 (r - w\,g^{(2)} v\,g^{(1)} u\,x)^2`,
];

export interface ChainPoint { x: number; u: number; v: number; w: number; r: number }

/** Forward pass and the paper's feedback quantities at one point (real ReLU). */
export function chainForward(p: ChainPoint) {
  const a1 = p.u * p.x, y1 = Math.max(0, a1), g1 = a1 > 0 ? 1 : 0;
  const a2 = p.v * y1, y2 = Math.max(0, a2), g2 = a2 > 0 ? 1 : 0;
  const q = p.w * y2, delta = p.r - q;
  const fb2 = p.w * 1;            // eq (9): fb_{y²} = w′_{s}·z_s
  const fb1 = g2 * p.v * fb2;     // eq (12): fb_{y¹} = g²·v′·fb_{y²}
  return { a1, y1, g1, a2, y2, g2, q, delta, fb2, fb1 };
}

/** The paper's updates Δθ (eqs 6, 7, 10) at one point, for learning rate α. */
export function paperUpdates(p: ChainPoint, alpha: number): Record<ChainWeight, number> {
  const f = chainForward(p);
  return {
    w: alpha * f.delta * f.y2 * 1,                 // (6)
    v: alpha * f.delta * f.y1 * f.g2 * f.fb2,      // (7)
    u: alpha * f.delta * p.x * f.g1 * f.fb1,       // (10)
  };
}

/** E with the real ReLU (for finite differences). */
export function chainLoss(p: ChainPoint): number {
  return 0.5 * chainForward(p).delta ** 2;
}

export interface ChainCheckRow {
  weight: ChainWeight;
  paperEq: string;
  /** mathjs: ∂E/∂θ (ReLUs on their linear piece), as text and LaTeX. */
  derivative: string;
  derivativeTex: string;
  /** The same in the paper's symbols (−δ·y² …), LaTeX; verified equal by `identity`. */
  factoredTex: string;
  paperTex: string;
  /** simplify(∂E/∂θ − (−Δθ/α)) is 0. */
  identity: boolean;
  /** Also equal at random points (polynomial identity test; guards against simplify missing a 0). */
  identityAtPoints: boolean;
  /** max over sample points of |−α∂E/∂θ − Δθ| / max|Δθ|: mathjs derivative vs paper. */
  relErrorSymbolic: number;
  /** Same with central finite differences of the real-ReLU E in place of the derivative. */
  relErrorFiniteDiff: number;
}

export interface ChainCheck {
  rows: ChainCheckRow[];
  samples: number;
  /** Sample points where at least one unit was silent (a ≤ 0): the gated case. */
  silentSamples: number;
  alpha: number;
}

/**
 * Are two expressions the same function? `simplified`: mathjs simplifies their difference to 0;
 * `atPoints`: they agree at 20 random points (a polynomial identity test, in case simplify misses a 0).
 */
export function symbolicallyEqual(a: string, b: string, rng = new Rng(1)): { simplified: boolean; atPoints: boolean } {
  const simplified = math.simplify(math.parse(`(${a}) - (${b})`)).toString() === '0';
  const fa = math.compile(a), fb = math.compile(b);
  const names = [...new Set([a, b].flatMap((e) => math.parse(e).filter((n) => n.type === 'SymbolNode').map((n) => (n as math.SymbolNode).name)))];
  const atPoints = Array.from({ length: 20 }, () => {
    const scope = Object.fromEntries(names.map((k) => [k, rng.uniform(-3, 3)]));
    const va = fa.evaluate(scope) as number, vb = fb.evaluate(scope) as number;
    return Math.abs(va - vb) <= 1e-9 * Math.max(1, Math.abs(vb));
  }).every(Boolean);
  return { simplified, atPoints };
}

/** Run the symbolic and numeric checks. */
export function chainRuleCheck(opts: { samples?: number; seed?: number; alpha?: number } = {}): ChainCheck {
  const samples = opts.samples ?? 200, alpha = opts.alpha ?? 0.5;
  const rng = new Rng(opts.seed ?? 7);
  const points: ChainPoint[] = [];
  while (points.length < samples) {
    const p = { x: rng.uniform(0, 1), u: rng.uniform(-1, 2), v: rng.uniform(-1, 2), w: rng.uniform(-2, 2), r: rng.int(2) };
    const f = chainForward(p);
    // Finite differences need a step away from a ReLU kink.
    if (Math.abs(f.a1) < 1e-3 || (f.g1 && Math.abs(f.a2) < 1e-3)) continue;
    points.push(p);
  }
  const silentSamples = points.filter((p) => { const f = chainForward(p); return !f.g1 || !f.g2; }).length;

  const rows = (['w', 'v', 'u'] as const).map((theta): ChainCheckRow => {
    const d = math.derivative(CHAIN_LOSS, theta);
    const paper = math.parse(`-(${PAPER_UPDATE_OVER_ALPHA[theta]})`);
    const same = symbolicallyEqual(d.toString(), paper.toString(), rng);
    const factored = math.parse(FACTORED[theta]);
    const sameFactored = symbolicallyEqual(d.toString(), expandPaperSymbols(factored).toString(), rng);
    const dFn = d.compile();
    const expected = points.map((p) => paperUpdates(p, alpha)[theta]);
    const scale = Math.max(...expected.map(Math.abs), 1e-300);
    const symbolic = points.map((p) => { const f = chainForward(p); return -alpha * (dFn.evaluate({ ...p, g1: f.g1, g2: f.g2 }) as number); });
    const h = 1e-6;
    const fd = points.map((p) => -alpha * (chainLoss({ ...p, [theta]: p[theta] + h }) - chainLoss({ ...p, [theta]: p[theta] - h })) / (2 * h));
    const relErr = (got: number[]) => Math.max(...got.map((g, i) => Math.abs(g - expected[i]))) / scale;
    return {
      weight: theta, paperEq: PAPER_TEX[theta].eq,
      derivative: d.toString(), derivativeTex: paperTex(d), factoredTex: paperTex(factored),
      paperTex: PAPER_TEX[theta].tex,
      identity: same.simplified && sameFactored.simplified, identityAtPoints: same.atPoints && sameFactored.atPoints,
      relErrorSymbolic: relErr(symbolic), relErrorFiniteDiff: relErr(fd),
    };
  });
  return { rows, samples, silentSamples, alpha };
}

const NAMES: Record<ChainWeight, string> = { w: 'output weight w', v: 'hidden weight v', u: 'input weight u' };

/** Markdown with LaTeX (rendered by JupyterLab): per weight, the derivation next to the paper's equation. */
export function chainCheckMarkdown(c: ChainCheck): string {
  const ok = (b: boolean) => (b ? '✓' : '✗ **FAILED**');
  const parts = [
    '**The network** (one unit per layer, ReLU hidden units, linear output = the selected Q-value; on each linear piece of a ReLU its gate g ∈ {0, 1} is a constant, and g² = g):',
    ...CHAIN_NETWORK_TEX.map((l) => `$$${l}$$`),
  ];
  for (const r of c.rows) {
    parts.push(
      `**${NAMES[r.weight]}** — mathjs \`derivative(E, '${r.weight}')\`:`,
      `$$\\frac{\\partial E}{\\partial ${r.weight}} = ${r.derivativeTex} = ${r.factoredTex}$$`,
      `paper, eq. (${r.paperEq}): $$${r.paperTex}$$`,
      `symbolic identity $-\\alpha\\,\\partial E/\\partial ${r.weight} = \\Delta ${r.weight}$ (with $z_s = 1$, $w' = w$, $v' = v$): ${ok(r.identity && r.identityAtPoints)}; `
      + `at ${c.samples} sample points with the real ReLU (${c.silentSamples} with a silent unit): max relative error `
      + `${r.relErrorSymbolic.toExponential(1)} (mathjs), ${r.relErrorFiniteDiff.toExponential(1)} (finite differences).`,
    );
  }
  return parts.join('\n\n');
}

/** Every check passed: both identities, and the numbers agree (float64: ~1e-15; finite differences: ~1e-10). */
export function chainCheckPassed(c: ChainCheck): boolean {
  return c.rows.every((r) => r.identity && r.identityAtPoints && r.relErrorSymbolic < 1e-12 && r.relErrorFiniteDiff < 1e-6);
}
