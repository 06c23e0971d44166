// A recording display sink in place of the tslab kernel (shared by the notebook-helper tests).
import type { DisplaySink, MimeBundle } from '../../src/plots/display.ts';

export interface Output { bundle: MimeBundle; target?: { displayId: string; update: boolean } }

export function recorder(): { sink: DisplaySink; outputs: Output[]; figures: () => Output[] } {
  const outputs: Output[] = [];
  return {
    outputs, sink: (bundle, target) => { outputs.push({ bundle, target }); },
    // every figure output, live (HTML only) or final (with the Plotly mime type)
    figures: () => outputs.filter((o) => String(o.bundle['text/plain'] ?? '').startsWith('<Plotly figure')),
  };
}
