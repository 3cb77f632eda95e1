// The search page's scatter plot: one dot per trace, start time across, duration up.
// Each dot is a link to its trace; errors are red.
import { h } from './dom.js';
import { duration, clock, ticks } from './format.js';

const WIDTH = 900;
const HEIGHT = 180;
const MARGIN = { left: 56, right: 12, top: 10, bottom: 22 };

/** An SVG scatter plot of trace summaries (`startMillis`, `durationNanos`, `errorCount`). */
export function scatterPlot(traces) {
  const svg = h('svg:svg', {
    class: 'scatter', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img',
    'aria-label': `Duration of ${traces.length} traces over time; each dot opens its trace`,
  });
  if (traces.length === 0) return svg;
  const times = traces.map((trace) => trace.startMillis);
  let first = Math.min(...times);
  let last = Math.max(...times);
  if (last - first < 1000) { first -= 500; last += 500; }
  const longest = Math.max(...traces.map((trace) => trace.durationNanos)) * 1.1 || 1;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (millis) => MARGIN.left + ((millis - first) / (last - first)) * plotWidth;
  const y = (nanos) => MARGIN.top + plotHeight - (nanos / longest) * plotHeight;

  for (const value of ticks(longest, 4)) {
    svg.append(
      h('svg:line', { class: 'grid', x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(value), y2: y(value) }),
      h('svg:text', { class: 'axis', x: MARGIN.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, duration(value)),
    );
  }
  for (const offset of ticks(last - first, 5)) {
    svg.append(h('svg:text', { class: 'axis', x: x(first + offset), y: HEIGHT - 6, 'text-anchor': 'middle' }, clock(first + offset).slice(0, 8)));
  }
  const maxSpans = Math.max(...traces.map((trace) => trace.spanCount));
  for (const trace of traces) {
    const radius = 3 + 5 * Math.sqrt(trace.spanCount / maxSpans);
    svg.append(h('svg:a', { href: `#/trace/${trace.traceId}`, class: 'dot-link', 'aria-label': `${trace.rootService} ${trace.rootOperation}, ${duration(trace.durationNanos)}` },
      h('svg:circle', {
        class: trace.errorCount > 0 ? 'dot dot-error' : 'dot',
        cx: x(trace.startMillis).toFixed(1), cy: y(trace.durationNanos).toFixed(1), r: radius.toFixed(1),
        'data-trace-id': trace.traceId,
      }, h('svg:title', {}, `${trace.rootService}: ${trace.rootOperation}\n${duration(trace.durationNanos)} · ${trace.spanCount} spans · ${trace.errorCount} errors\n${clock(trace.startMillis)}`))));
  }
  return svg;
}
