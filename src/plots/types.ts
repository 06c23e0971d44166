// A Plotly figure as plain data: what figure builders return, what notebooks display and what
// the exporter renders. Kept as loose JSON so any Plotly trace type and layout option passes through.

export interface PlotlyFigure {
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
  config?: Record<string, unknown>;
}
