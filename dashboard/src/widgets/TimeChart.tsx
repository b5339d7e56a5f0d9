// A uPlot line chart over time (the x axis in the viewer's zone), as wide as its box.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  color: string;
  values: number[];
  dash?: boolean;
}

export function TimeChart({
  title,
  times,
  series,
  percent = false,
}: {
  title: string;
  times: number[];
  series: Series[];
  percent?: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = () => Math.max(280, el.clientWidth - 16);
    const fmt = (v: number) => (percent ? `${(v * 100).toFixed(1)}%` : v.toLocaleString());
    const plot = new uPlot(
      {
        width: width(),
        height: 240,
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            ...(s.dash ? { dash: [6, 4] } : {}),
            value: (_u: uPlot, v: number | null) => (v === null ? '—' : fmt(v)),
          })),
        ],
        axes: [{}, { values: (_u: uPlot, vals: number[]) => vals.map(fmt), size: 60 }],
        scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : percent ? 1 : 1] } },
      },
      [times, ...series.map((s) => s.values)],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 240 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, percent]);
  return (
    <figure className="chart" aria-label={title}>
      <h2>{title}</h2>
      <div ref={box} />
    </figure>
  );
}
