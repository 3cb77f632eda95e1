// The time range of the search, operations and errors pages: a preset such as `range=1h`,
// or `range=custom` with `start` and `end` as the browser's local date and time.
import { h } from './dom.js';

/** [value, label, minutes] of each preset, then the custom range. */
export const RANGES = [['15m', 'Last 15 minutes', 15], ['1h', 'Last hour', 60], ['2h', 'Last 2 hours', 120], ['6h', 'Last 6 hours', 360],
  ['24h', 'Last 24 hours', 1440], ['2d', 'Last 2 days', 2880], ['7d', 'Last 7 days', 10080], ['custom', 'Custom…', 0]];

/** The time range of the page's parameters, in unix milliseconds. */
export function timeRange(params, now = Date.now()) {
  const range = params.get('range') ?? '1h';
  if (range === 'custom') {
    const start = Date.parse(params.get('start') ?? '');
    const end = Date.parse(params.get('end') ?? '');
    return { start: Number.isFinite(start) ? start : now - 3600e3, end: Number.isFinite(end) ? end : now };
  }
  const minutes = RANGES.find(([value]) => value === range)?.[2] ?? 60;
  return { start: now - minutes * 60e3, end: now };
}

/** The range parameters to carry into a link to another page (`range`, and `start`/`end` when custom). */
export function rangeParams(params) {
  const carried = new URLSearchParams({ range: params.get('range') ?? '1h' });
  if (carried.get('range') === 'custom') {
    for (const name of ['start', 'end']) if (params.get(name)) carried.set(name, params.get(name));
  }
  return carried;
}

/** The time range fields of a form: the preset select and the custom start and end. */
export function rangeFields(params) {
  const range = params.get('range') ?? '1h';
  const custom = h('div', { class: 'custom-range', hidden: range !== 'custom' },
    h('label', {}, 'From', h('input', { name: 'start', value: params.get('start') ?? '', type: 'datetime-local', step: 1 })),
    h('label', {}, 'To', h('input', { name: 'end', value: params.get('end') ?? '', type: 'datetime-local', step: 1 })));
  const select = h('select', { name: 'range', onchange: (event) => { custom.hidden = event.target.value !== 'custom'; } },
    RANGES.map(([value, text]) => h('option', { value, selected: value === range }, text)));
  return [h('label', {}, 'Time range', select), custom];
}

/** The range of a submitted form's data, as URL parameters. */
export function rangeFromForm(data, next) {
  const range = String(data.get('range') ?? '1h');
  next.set('range', range);
  if (range === 'custom') {
    for (const name of ['start', 'end']) if (data.get(name)) next.set(name, String(data.get(name)));
  }
  return next;
}
