// Charts of values over time in SVG, for the operations page: a sparkline in a table row,
// or a larger chart with axes whose buckets tell their values on hover.
import { h } from './dom.js';
import { clock, ticks } from './format.js';

/**
 * A chart of per-bucket values.
 *
 * - `times`: the start of each bucket (unix ms), `step`: a bucket's length (ms);
 * - `series`: `[{ name, values, type: 'bars' | 'line', class }]`, a value per bucket,
 *   null where there is none (a line breaks there);
 * - `format`: a value as text (axis labels and hover);
 * - `axes`: false for a sparkline, true for a chart with axes;
 * - `label`: what the chart shows, for screen readers and as its title.
 */
export function timeChart({ times, step, series, format, axes = false, label, width, height }) {
  const chartWidth = width ?? (axes ? 380 : 120);
  const chartHeight = height ?? (axes ? 150 : 28);
  const margin = axes ? { left: 52, right: 8, top: 8, bottom: 20 } : { left: 1, right: 1, top: 2, bottom: 2 };
  const plotWidth = chartWidth - margin.left - margin.right;
  const plotHeight = chartHeight - margin.top - margin.bottom;
  const count = times.length;
  const values = series.flatMap((line) => line.values).filter((value) => value !== null && Number.isFinite(value));
  const top = Math.max(0, ...values) * 1.1 || 1;
  const slot = plotWidth / Math.max(count, 1);
  const x = (index) => margin.left + (index + 0.5) * slot;
  const y = (value) => margin.top + plotHeight - (value / top) * plotHeight;
  const svg = h('svg:svg', {
    class: axes ? 'time-chart with-axes' : 'time-chart sparkline',
    viewBox: `0 0 ${chartWidth} ${chartHeight}`, width: chartWidth, height: chartHeight,
    role: 'img', 'aria-label': label,
  }, h('svg:title', {}, label));

  if (axes) {
    for (const value of ticks(top / 1.1, 3)) {
      svg.append(
        h('svg:line', { class: 'grid', x1: margin.left, x2: chartWidth - margin.right, y1: y(value), y2: y(value) }),
        h('svg:text', { class: 'axis', x: margin.left - 4, y: y(value) + 4, 'text-anchor': 'end' }, format(value)));
    }
    const every = Math.max(1, Math.ceil(count / 4));
    for (let index = 0; index < count; index += every) {
      svg.append(h('svg:text', { class: 'axis', x: x(index), y: chartHeight - 5, 'text-anchor': 'middle' }, clock(times[index]).slice(0, 5)));
    }
  } else {
    svg.append(h('svg:line', { class: 'baseline', x1: margin.left, x2: chartWidth - margin.right, y1: y(0), y2: y(0) }));
  }

  for (const line of series) {
    if (line.type === 'bars') {
      const barWidth = Math.max(1, slot - (slot > 4 ? 1 : 0));
      line.values.forEach((value, index) => {
        if (!value) return;
        const height = Math.max(1, (value / top) * plotHeight);
        svg.append(h('svg:rect', { class: `bar ${line.class ?? ''}`, x: (x(index) - barWidth / 2).toFixed(1), y: (y(0) - height).toFixed(1), width: barWidth.toFixed(1), height: height.toFixed(1) }));
      });
    } else {
      svg.append(h('svg:path', { class: `line ${line.class ?? ''}`, d: linePath(line.values, x, y) }));
    }
  }

  if (axes) {
    // One transparent slot per bucket, so hovering anywhere over it tells every value.
    times.forEach((time, index) => {
      const text = series.map((line) => `${line.name}: ${line.values[index] === null ? '–' : format(line.values[index])}`).join('\n');
      svg.append(h('svg:rect', { class: 'slot', x: (x(index) - slot / 2).toFixed(1), y: margin.top, width: slot.toFixed(1), height: plotHeight },
        h('svg:title', {}, `${clock(time).slice(0, 8)}–${clock(time + step).slice(0, 8)}\n${text}`)));
    });
  }
  return svg;
}

/** A polyline through the non-null values, broken where a value is null. */
function linePath(values, x, y) {
  const parts = [];
  let drawing = false;
  values.forEach((value, index) => {
    if (value === null || !Number.isFinite(value)) {
      drawing = false;
      return;
    }
    parts.push(`${drawing ? 'L' : 'M'} ${x(index).toFixed(1)} ${y(value).toFixed(1)}`);
    // A lone point is drawn as a dot (the stroke's round cap).
    if (!drawing && (index + 1 >= values.length || values[index + 1] === null)) parts.push('h 0.01');
    drawing = true;
  });
  return parts.join(' ');
}

/** The legend of a chart's series: a colored mark and the name of each. */
export function chartLegend(series) {
  return h('span', { class: 'chart-legend' }, series.map((line) => h('span', {}, h('span', { class: `legend-mark ${line.class ?? ''}` }), line.name)));
}
