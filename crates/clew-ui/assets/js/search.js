// The search page: filters, a scatter plot of the results and the result list.
import { h, replace } from './dom.js';
import * as api from './api.js';
import { duration, nanosToMillis, millisToNanos, serviceColor, ago, dateTime, parseDuration } from './format.js';
import { scatterPlot } from './scatter.js';
import { failure, noData } from './states.js';
import { timeRange, rangeFields, rangeFromForm } from './timerange.js';

const SORTS = [['newest', 'Newest first'], ['slowest', 'Slowest first'], ['spans', 'Most spans']];
const KINDS = ['', 'server', 'client', 'producer', 'consumer', 'internal'];

/** Splits `a=1 b="two words"` into ["a=1", "b=two words"]. */
export function parseAttributes(text) {
  const pairs = [];
  for (const match of (text ?? '').matchAll(/([^\s=]+)=(?:"([^"]*)"|(\S*))/g)) {
    pairs.push(`${match[1]}=${match[2] ?? match[3]}`);
  }
  return pairs;
}

function attributesText(pairs) {
  return pairs.map((pair) => {
    const [key, ...rest] = pair.split('=');
    const value = rest.join('=');
    return /\s/.test(value) ? `${key}="${value}"` : `${key}=${value}`;
  }).join(' ');
}

/** The /api/v1/search parameters for the page's parameters. */
function apiParams(params) {
  const { start, end } = timeRange(params);
  const query = new URLSearchParams();
  for (const name of ['service', 'operation', 'kind', 'minDuration', 'maxDuration']) {
    if (params.get(name)) query.set(name, params.get(name));
  }
  for (const attribute of params.getAll('attr')) query.append('attr', attribute);
  if (params.get('errors') === 'true') query.set('errors', 'true');
  query.set('start', millisToNanos(start));
  query.set('end', millisToNanos(end));
  query.set('limit', params.get('limit') || '20');
  return query;
}

function select(name, label, options, chosen) {
  return h('label', {}, label, h('select', { name },
    options.map(([value, text]) => h('option', { value, selected: value === (chosen ?? '') }, text))));
}

function input(name, label, value, attributes = {}) {
  return h('label', {}, label, h('input', { name, value: value ?? '', ...attributes }));
}

function searchForm(params, services) {
  const operationSelect = h('select', { name: 'operation' }, h('option', { value: '' }, 'all operations'));
  const loadOperations = async (service) => {
    operationSelect.replaceChildren(h('option', { value: '' }, 'all operations'));
    if (!service) return;
    const names = [...new Set((await api.operations(service).catch(() => [])).map((operation) => operation.name))];
    for (const name of names) operationSelect.append(h('option', { value: name, selected: name === params.get('operation') }, name));
  };
  const serviceSelect = h('select', { name: 'service', onchange: (event) => loadOperations(event.target.value) },
    h('option', { value: '' }, 'all services'),
    services.map((service) => h('option', { value: service, selected: service === params.get('service') }, service)));
  loadOperations(params.get('service'));

  const form = h('form', { class: 'search-form', 'aria-label': 'Search traces', onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next = new URLSearchParams();
    for (const name of ['service', 'operation', 'kind', 'minDuration', 'maxDuration']) {
      const value = String(data.get(name) ?? '').trim();
      if (value) next.set(name, value);
    }
    rangeFromForm(data, next);
    for (const name of ['limit', 'sort']) {
      const value = String(data.get(name) ?? '').trim();
      if (value) next.set(name, value);
    }
    for (const attribute of parseAttributes(String(data.get('attributes') ?? ''))) next.append('attr', attribute);
    if (data.get('errors')) next.set('errors', 'true');
    for (const name of ['minDuration', 'maxDuration']) {
      if (next.get(name) && parseDuration(next.get(name)) === null) {
        form.querySelector(`[name=${name}]`).setCustomValidity('a duration like 250ms, 1.5s or 2m');
        form.reportValidity();
        return;
      }
    }
    location.hash = `#/search?${next}`;
  } },
  h('label', {}, 'Service', serviceSelect),
  h('label', {}, 'Operation', operationSelect),
  select('kind', 'Span kind', KINDS.map((kind) => [kind, kind || 'any kind']), params.get('kind')),
  input('attributes', 'Attributes', attributesText(params.getAll('attr')), { placeholder: 'http.response.status_code=500 region=eu', class: 'wide' }),
  input('minDuration', 'Min duration', params.get('minDuration'), { placeholder: '100ms', size: 7 }),
  input('maxDuration', 'Max duration', params.get('maxDuration'), { placeholder: '2s', size: 7 }),
  rangeFields(params),
  input('limit', 'Limit', params.get('limit') ?? '20', { type: 'number', min: 1, max: 1000 }),
  select('sort', 'Sort', SORTS, params.get('sort') ?? 'newest'),
  h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'errors', checked: params.get('errors') === 'true' }), 'Errors only'),
  h('button', { type: 'submit', class: 'primary' }, 'Search'));
  for (const field of form.querySelectorAll('input')) field.addEventListener('input', () => field.setCustomValidity(''));
  return form;
}

function sortTraces(traces, sort) {
  const sorted = [...traces];
  if (sort === 'slowest') sorted.sort((a, b) => b.durationNanos - a.durationNanos);
  else if (sort === 'spans') sorted.sort((a, b) => b.spanCount - a.spanCount);
  else sorted.sort((a, b) => b.startMillis - a.startMillis);
  return sorted;
}

function serviceBar(services, total) {
  return h('span', { class: 'service-bar', 'aria-label': `services: ${services.map((service) => service.name).join(', ')}` },
    services.map((service) => h('span', {
      class: 'service-segment', title: `${service.name}: ${service.spanCount} spans`,
      style: `flex-grow:${service.spanCount / total};background:${serviceColor(service.name)}`,
    })));
}

function resultList(traces, longest, onSelectionChange) {
  return h('ol', { class: 'results' }, traces.map((trace) => h('li', { class: 'result', dataset: { traceId: trace.traceId } },
    h('input', { type: 'checkbox', class: 'compare-pick', 'aria-label': `Select ${trace.rootOperation} for comparison`, value: trace.traceId, onchange: onSelectionChange }),
    h('a', { class: 'result-link', href: `#/trace/${trace.traceId}` },
      h('span', { class: 'result-title' },
        h('span', { class: 'chip', style: `background:${serviceColor(trace.rootService)}` }),
        h('b', {}, trace.rootService), ' ', h('span', { class: 'result-operation' }, trace.rootOperation)),
      h('span', { class: 'result-duration' },
        h('span', { class: 'duration-track' }, h('span', { class: 'duration-fill', style: `width:${(100 * trace.durationNanos / longest).toFixed(1)}%` })),
        h('span', { class: 'duration-text' }, duration(trace.durationNanos))),
      h('span', { class: 'result-meta' },
        h('span', { class: 'span-count' }, `${trace.spanCount} spans`),
        trace.errorCount > 0 ? h('span', { class: 'error-count' }, `${trace.errorCount} error${trace.errorCount === 1 ? '' : 's'}`) : null,
        h('span', { class: 'muted', title: dateTime(trace.startMillis) }, ago(trace.startMillis)),
        h('code', { class: 'muted' }, trace.traceId.slice(0, 12))),
      serviceBar(trace.services, trace.spanCount)))));
}

/** Renders the search page into `view`. */
export async function renderSearch(view, { params }) {
  const services = await api.services();
  if (services.length === 0) {
    replace(view, noData());
    return;
  }
  const results = h('div', { class: 'search-results', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Searching…'));
  replace(view, h('h1', { class: 'visually-hidden' }, 'Search traces'), searchForm(params, services), results);
  let found;
  try {
    found = await api.search(apiParams(params));
  } catch (error) {
    replace(results, failure(error));
    return;
  }
  const traces = sortTraces(found.map((summary) => ({
    ...summary,
    startMillis: nanosToMillis(summary.startTimeUnixNano),
    durationNanos: Number(summary.durationNanos),
  })), params.get('sort'));
  if (traces.length === 0) {
    replace(results, h('section', { class: 'notice notice-empty', role: 'status' }, h('h2', {}, 'No traces match'),
      h('p', {}, 'Widen the time range, remove a filter, or ', h('a', { href: '#/search?range=7d' }, 'search the last 7 days'), '.')));
    return;
  }
  const compareButton = h('button', { type: 'button', class: 'compare-button', disabled: true, onclick: () => {
    const picked = [...results.querySelectorAll('.compare-pick:checked')].map((box) => box.value);
    location.hash = `#/compare?a=${picked[0]}&b=${picked[1]}`;
  } }, 'Compare 2 selected');
  const onSelectionChange = () => {
    const picked = results.querySelectorAll('.compare-pick:checked').length;
    compareButton.disabled = picked !== 2;
  };
  const longest = Math.max(...traces.map((trace) => trace.durationNanos));
  replace(results,
    h('div', { class: 'panel' }, scatterPlot(traces)),
    h('div', { class: 'results-header' },
      h('h2', {}, `${traces.length} trace${traces.length === 1 ? '' : 's'}`), compareButton),
    resultList(traces, longest, onSelectionChange));
}
