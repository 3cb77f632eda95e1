// The operations page: for each service and operation, its rate, error rate and latency
// percentiles over a time range, as numbers and as small charts over time, with links to
// searches for its traces. A row opens larger charts with axes.
import { h, replace } from './dom.js';
import * as api from './api.js';
import { duration, rate, percent, nanosOrNull, nanosToMillis, serviceColor, dateTime } from './format.js';
import { timeChart, chartLegend } from './chart.js';
import { timeRange, rangeParams } from './timerange.js';
import { serviceRangeForm } from './filters.js';
import { replaceParams } from './route.js';
import { failure, noData } from './states.js';

/** Rows of the page from an /api/v1/operations/stats answer: totals and per-bucket series. */
export function operationRows(stats) {
  const step = Number(stats.stepNanos) / 1e6;
  const end = nanosToMillis(stats.endTimeUnixNano);
  return stats.operations.map((operation) => {
    const times = operation.series.map((bucket) => nanosToMillis(bucket.startTimeUnixNano));
    // The last bucket may reach past the end of the range: its rate is over the part inside.
    const seconds = times.map((time) => Math.max(1, Math.min(step, end - time)) / 1000);
    return {
      key: `${operation.service}\u0000${operation.operation}\u0000${operation.kind}`,
      service: operation.service,
      operation: operation.operation,
      kind: operation.kind,
      count: operation.count,
      errorCount: operation.errorCount,
      rate: operation.ratePerSecond,
      errors: operation.count > 0 ? operation.errorCount / operation.count : 0,
      p50: nanosOrNull(operation.p50Nanos),
      p95: nanosOrNull(operation.p95Nanos),
      p99: nanosOrNull(operation.p99Nanos),
      times,
      step,
      rates: operation.series.map((bucket, index) => bucket.count / seconds[index]),
      errorRates: operation.series.map((bucket) => (bucket.count > 0 ? bucket.errorCount / bucket.count : null)),
      p50s: operation.series.map((bucket) => nanosOrNull(bucket.p50Nanos)),
      p95s: operation.series.map((bucket) => nanosOrNull(bucket.p95Nanos)),
      p99s: operation.series.map((bucket) => nanosOrNull(bucket.p99Nanos)),
    };
  });
}

function rateSeries(row) {
  return [{ name: 'rate', values: row.rates, type: 'bars', class: 'series-rate' }];
}

function errorSeries(row) {
  return [{ name: 'error rate', values: row.errorRates, type: 'bars', class: 'series-error' }];
}

function latencySeries(row) {
  return [
    { name: 'p50', values: row.p50s, class: 'series-p50' },
    { name: 'p95', values: row.p95s, class: 'series-p95' },
    { name: 'p99', values: row.p99s, class: 'series-p99' },
  ];
}

/** Links to the search for this operation's traces in the same range, and for its failed ones. */
function traceLinks(row, params) {
  const search = new URLSearchParams({ service: row.service, operation: row.operation, kind: row.kind });
  for (const [name, value] of rangeParams(params)) search.set(name, value);
  const failed = new URLSearchParams(search);
  failed.set('errors', 'true');
  return h('span', { class: 'trace-links' },
    h('a', { class: 'traces-link', href: `#/search?${search}` }, 'Traces'),
    row.errorCount > 0
      ? h('a', { class: 'errors-link', href: `#/search?${failed}` }, 'Failed traces')
      : h('span', { class: 'muted' }, 'no failures'));
}

const COLUMNS = [
  ['service', 'Service', 'text'],
  ['operation', 'Operation', 'text'],
  ['rate', 'Rate', 'number'],
  ['errors', 'Error rate', 'number'],
  ['p50', 'p50', 'number'],
  ['p95', 'p95', 'number'],
  ['p99', 'p99', 'number'],
  ['latency', 'Latency over time', null],
  ['traces', 'Traces', null],
];

function compareRows(sortKey) {
  const kind = COLUMNS.find(([key]) => key === sortKey)?.[2];
  if (kind === 'number') {
    // Highest first; operations without a value last.
    return (a, b) => (b[sortKey] ?? -1) - (a[sortKey] ?? -1);
  }
  const byService = (a, b) => a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation) || a.kind.localeCompare(b.kind);
  if (sortKey === 'operation') return (a, b) => a.operation.localeCompare(b.operation) || byService(a, b);
  return byService;
}

function detailRow(row) {
  const chart = (title, series, format) => h('figure', { class: 'operation-chart' },
    h('figcaption', {}, title, series.length > 1 ? chartLegend(series) : null),
    timeChart({ times: row.times, step: row.step, series, format, axes: true, label: `${title} of ${row.service} ${row.operation} over time` }));
  return h('tr', { class: 'operation-detail' }, h('td', { colspan: COLUMNS.length },
    h('div', { class: 'operation-charts' },
      chart('Rate', rateSeries(row), rate),
      chart('Error rate', errorSeries(row), percent),
      chart('Latency', latencySeries(row), duration)),
    h('p', { class: 'muted' }, `${row.count} ${row.kind} spans, ${row.errorCount} failed. Hover a chart for the values of each ${duration(row.step * 1e6)}.`)));
}

function operationsTable(rows, params) {
  const open = new Set();
  let sortKey = COLUMNS.some(([key, , kind]) => key === params.get('sort') && kind) ? params.get('sort') : 'service';
  const table = h('table', { class: 'data-table operations-table' });
  function render() {
    const sorted = [...rows].sort(compareRows(sortKey));
    const body = h('tbody', {});
    for (const row of sorted) {
      const isOpen = open.has(row.key);
      body.append(h('tr', { class: 'operation-row', dataset: { service: row.service, operation: row.operation, kind: row.kind } },
        h('td', { class: 'col-service' }, h('span', { class: 'chip', style: `background:${serviceColor(row.service)}` }), row.service),
        h('td', { class: 'col-operation' },
          h('button', { type: 'button', class: 'linkish operation-toggle', 'aria-expanded': String(isOpen), onclick: () => {
            if (isOpen) open.delete(row.key); else open.add(row.key);
            render();
          } }, isOpen ? '▾ ' : '▸ ', h('span', { class: 'operation-name' }, row.operation)),
          h('span', { class: 'badge' }, row.kind)),
        h('td', { class: 'col-rate' },
          h('span', { class: 'figure rate-value', title: `${row.count} spans` }, rate(row.rate)),
          timeChart({ times: row.times, step: row.step, series: rateSeries(row), format: rate, label: `Rate of ${row.operation} over time` })),
        h('td', { class: 'col-errors' },
          h('span', { class: row.errorCount > 0 ? 'figure error-rate status-error' : 'figure error-rate', title: `${row.errorCount} of ${row.count} failed` }, percent(row.errors)),
          timeChart({ times: row.times, step: row.step, series: errorSeries(row), format: percent, label: `Error rate of ${row.operation} over time` })),
        h('td', { class: 'col-p50 figure' }, duration(row.p50 ?? NaN)),
        h('td', { class: 'col-p95 figure' }, duration(row.p95 ?? NaN)),
        h('td', { class: 'col-p99 figure' }, duration(row.p99 ?? NaN)),
        h('td', { class: 'col-latency' },
          timeChart({ times: row.times, step: row.step, series: latencySeries(row), format: duration, label: `p50, p95 and p99 latency of ${row.operation} over time` })),
        h('td', { class: 'col-traces' }, traceLinks(row, params))));
      if (isOpen) body.append(detailRow(row));
    }
    replace(table,
      h('thead', {}, h('tr', {}, COLUMNS.map(([key, label, kind]) => h('th', { scope: 'col', class: `col-${key}`, 'aria-sort': key === sortKey ? (kind === 'number' ? 'descending' : 'ascending') : null },
        kind
          ? h('button', { type: 'button', class: 'sort', onclick: () => {
            sortKey = key;
            const next = new URLSearchParams(params);
            if (key === 'service') next.delete('sort'); else next.set('sort', key);
            replaceParams(next);
            render();
          } }, label, key === sortKey ? (kind === 'number' ? ' ↓' : ' ↑') : '')
          : label)))),
      body);
  }
  render();
  return table;
}

/** Renders `#/operations?service=…&range=…` into `view`. */
export async function renderOperations(view, { params }) {
  const services = await api.services();
  if (services.length === 0) {
    replace(view, noData());
    return;
  }
  const { start, end } = timeRange(params);
  const results = h('div', { class: 'operations-results', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  replace(view, h('div', { class: 'page-head' }, h('h1', {}, 'Operations')),
    serviceRangeForm('operations', params, services, 'Choose operations'), results);
  let stats;
  try {
    stats = await api.operationStats({ service: params.get('service'), startMillis: start, endMillis: end });
  } catch (error) {
    replace(results, failure(error));
    return;
  }
  const rows = operationRows(stats);
  if (rows.length === 0) {
    const wider = new URLSearchParams({ range: '7d' });
    if (params.get('service')) wider.set('service', params.get('service'));
    replace(results, h('section', { class: 'notice notice-empty', role: 'status' }, h('h2', {}, 'No spans in this time range'),
      h('p', {}, 'Choose a longer range above, or ', h('a', { href: `#/operations?${wider}` }, 'look at the last 7 days'), '.')));
    return;
  }
  const spans = rows.reduce((sum, row) => sum + row.count, 0);
  const serviceCount = new Set(rows.map((row) => row.service)).size;
  replace(results,
    h('p', { class: 'muted operations-summary' },
      `${rows.length} operation${rows.length === 1 ? '' : 's'} of ${serviceCount} service${serviceCount === 1 ? '' : 's'}, ${spans} spans from ${dateTime(start)} to ${dateTime(end)}; `,
      `each bar of a chart is ${duration(rows[0].step * 1e6)}. Open an operation for larger charts.`),
    operationsTable(rows, params));
}
