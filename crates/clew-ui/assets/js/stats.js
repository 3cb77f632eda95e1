// The statistics of one trace: per service and operation, how many spans, their total
// and self time, and how many failed. Click a column head to sort by it.
import { h, replace } from './dom.js';
import { duration, serviceColor } from './format.js';

/** Rows of the table: one per service and operation. */
export function traceStatistics(model) {
  const groups = new Map();
  for (const span of model.spans) {
    const key = `${span.service}\u0000${span.name}`;
    let group = groups.get(key);
    if (!group) {
      group = { service: span.service, operation: span.name, count: 0, total: 0, self: 0, max: 0, errors: 0 };
      groups.set(key, group);
    }
    group.count += 1;
    group.total += span.duration;
    group.self += span.selfTime;
    group.max = Math.max(group.max, span.duration);
    if (span.error) group.errors += 1;
  }
  return [...groups.values()];
}

const COLUMNS = [
  ['service', 'Service', (row) => h('span', {}, h('span', { class: 'chip', style: `background:${serviceColor(row.service)}` }), row.service)],
  ['operation', 'Operation', (row) => row.operation],
  ['count', 'Count', (row) => String(row.count)],
  ['total', 'Total', (row) => duration(row.total)],
  ['average', 'Average', (row) => duration(row.total / row.count)],
  ['max', 'Max', (row) => duration(row.max)],
  ['self', 'Self time', (row) => duration(row.self)],
  ['errors', 'Errors', (row) => (row.errors ? h('span', { class: 'status-error' }, String(row.errors)) : '0')],
];

/** The statistics table of a trace. */
export function statisticsTable(model) {
  const rows = traceStatistics(model).map((row) => ({ ...row, average: row.total / row.count }));
  let sortKey = 'self';
  let descending = true;
  const table = h('table', { class: 'data-table stats-table' });
  function render() {
    rows.sort((a, b) => {
      const order = typeof a[sortKey] === 'string' ? a[sortKey].localeCompare(b[sortKey]) : a[sortKey] - b[sortKey];
      return descending ? -order : order;
    });
    replace(table,
      h('thead', {}, h('tr', {}, COLUMNS.map(([key, label]) => h('th', { scope: 'col', 'aria-sort': key === sortKey ? (descending ? 'descending' : 'ascending') : null },
        h('button', { type: 'button', class: 'sort', onclick: () => { descending = key === sortKey ? !descending : true; sortKey = key; render(); } },
          label, key === sortKey ? (descending ? ' ↓' : ' ↑') : ''))))),
      h('tbody', {}, rows.map((row) => h('tr', {}, COLUMNS.map(([key, , cell]) => h('td', { class: `col-${key}` }, cell(row)))))));
  }
  render();
  return h('div', { class: 'stats-view' }, h('p', { class: 'muted' }, 'Self time is the time a span spent outside its children.'), table);
}
