// The trace page: a header with the trace's own attributes and what stands out (where
// the time went, what failed), then the waterfall, the flame graph or the statistics,
// and the side panel of the selected span.
import { h, replace, notice } from './dom.js';
import * as api from './api.js';
import { duration, serviceColor, nanosToMillis, dateTime, valueText } from './format.js';
import { buildTrace, spanMatches } from './tracemodel.js';
import { createWaterfall } from './waterfall.js';
import { spanPanel, eventPanel } from './spanpanel.js';
import { flameGraph } from './flame.js';
import { statisticsTable } from './stats.js';
import { replaceParams } from './route.js';

const MARKS = ['clew:trace-requested', 'clew:trace-loaded', 'clew:trace-modelled', 'clew:trace-rendered'];
const VIEWS = [['waterfall', 'Waterfall'], ['flame', 'Flame graph'], ['stats', 'Statistics']];

function headerFacts(model) {
  const facts = [];
  const { projectId, requestId, tags, input, context } = model.header;
  if (projectId) facts.push(['Project', projectId]);
  if (requestId) facts.push(['Request', requestId]);
  if (tags.length > 0) facts.push(['Tags', h('span', {}, tags.map((tag) => h('span', { class: 'tag' }, tag)))]);
  for (const [key, value] of input) facts.push([`Input ${key}`, valueText(value)]);
  for (const [key, value] of context) facts.push([`Context ${key}`, valueText(value)]);
  return facts;
}

/** The span with the most self time, and the error spans whose children did not fail (where failures began). */
function highlights(model) {
  let slowest = null;
  for (const span of model.spans) if (!slowest || span.selfTime > slowest.selfTime) slowest = span;
  // An error span with no error below it is where a failure began; its ancestors only passed it on.
  const errorBelow = new Array(model.spans.length).fill(false);
  for (let position = model.order.length - 1; position >= 0; position -= 1) {
    const span = model.spans[model.order[position]];
    if (span.parent !== -1 && (span.error || errorBelow[span.index])) errorBelow[span.parent] = true;
  }
  const origins = model.spans.filter((span) => span.error && !errorBelow[span.index]);
  return { slowest, origins };
}

function spanButton(span, select) {
  return h('button', { type: 'button', class: 'linkish', dataset: { spanId: span.id }, onclick: () => select(span.index) },
    h('span', { class: 'chip', style: `background:${serviceColor(span.service)}` }), h('b', {}, span.service), ' ', span.name);
}

/** Renders `#/trace/<id>` into `view`. */
export async function renderTrace(view, { rest, params }) {
  const traceId = rest[0];
  if (!traceId) {
    replace(view, notice('empty', 'Which trace?', h('p', {}, h('a', { href: '#/search' }, 'Search for one'), ' and open it.')));
    return null;
  }
  replace(view, h('p', { class: 'muted pad' }, `Loading trace ${traceId}…`));
  // Marks of where opening a trace spends its time (read by the 100,000-span benchmark).
  for (const name of MARKS) performance.clearMarks(name);
  performance.mark('clew:trace-requested');
  let json;
  try {
    json = await api.trace(traceId);
  } catch (error) {
    if (error.status === 404 || error.status === 400) {
      replace(view, notice('empty', 'Trace not found', h('p', {}, error.message, '. It may be older than the retention, or the id is mistyped. '),
        h('p', {}, h('a', { href: '#/search' }, 'Search traces'))));
      return null;
    }
    throw error;
  }
  performance.mark('clew:trace-loaded');
  const model = buildTrace(json);
  performance.mark('clew:trace-modelled');
  const root = model.spans[model.roots[0]];
  const { slowest, origins } = highlights(model);
  const state = { view: params.get('view') ?? 'waterfall', selected: -1, matches: [], match: -1 };

  const panelSlot = h('div', { class: 'panel-slot' });
  const main = h('div', { class: 'trace-main' });
  const findInput = h('input', { type: 'search', class: 'find', placeholder: 'Find in trace ( / )', 'aria-label': 'Find spans in this trace' });
  const findCount = h('span', { class: 'find-count muted', 'aria-live': 'polite' });

  let waterfall = null;
  function select(index) {
    state.selected = index;
    const next = new URLSearchParams(params);
    if (index >= 0) next.set('span', model.spans[index].id); else next.delete('span');
    if (state.view !== 'waterfall') next.set('view', state.view); else next.delete('view');
    replaceParams(next);
    if (index < 0) {
      replace(panelSlot);
    } else {
      replace(panelSlot, spanPanel(model.spans[index], model, { onClose: () => select(-1), onSelect: select }));
    }
    if (waterfall) waterfall.select(index);
  }
  function showEvent(event) {
    replace(panelSlot, eventPanel(event, { onClose: () => select(-1) }));
  }

  const tabs = h('div', { class: 'tabs', role: 'tablist' }, VIEWS.map(([name, label]) => h('button', {
    type: 'button', role: 'tab', dataset: { view: name }, 'aria-selected': String(name === state.view),
    onclick: () => { state.view = name; showView(); select(state.selected); },
  }, label)));

  function showView() {
    for (const tab of tabs.children) tab.setAttribute('aria-selected', String(tab.dataset.view === state.view));
    if (waterfall) { waterfall.destroy(); waterfall = null; }
    if (state.view === 'flame') {
      replace(main, flameGraph(model, { onSelect: select }));
    } else if (state.view === 'stats') {
      replace(main, statisticsTable(model));
    } else {
      waterfall = createWaterfall(model, { onSelect: select, onEvent: showEvent });
      replace(main, waterfall.element);
      waterfall.start();
      waterfall.setMatches(state.matches);
    }
  }

  function find(step) {
    const needle = findInput.value.trim();
    if (!needle) { state.matches = []; findCount.textContent = ''; waterfall?.setMatches([]); return; }
    if (step === 0) {
      state.matches = model.order.filter((index) => spanMatches(model.spans[index], needle));
      state.match = -1;
      waterfall?.setMatches(state.matches);
    }
    if (state.matches.length === 0) { findCount.textContent = 'no match'; return; }
    if (step !== 0) {
      state.match = (state.match + step + state.matches.length) % state.matches.length;
      select(state.matches[state.match]);
    }
    findCount.textContent = `${state.match + 1 > 0 ? `${state.match + 1} of ` : ''}${state.matches.length} match${state.matches.length === 1 ? '' : 'es'}`;
  }
  findInput.addEventListener('input', () => find(0));
  findInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') { event.preventDefault(); find(event.shiftKey ? -1 : 1); }
    if (event.key === 'Escape') { findInput.value = ''; find(0); waterfall?.focus(); }
  });

  const download = () => {
    const blob = new Blob([JSON.stringify(json, null, 2)], { type: 'application/json' });
    const link = h('a', { href: URL.createObjectURL(blob), download: `trace-${model.traceId}.json` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  };

  const startMillis = model.summary ? nanosToMillis(model.summary.startTimeUnixNano) : 0;
  const header = h('header', { class: 'trace-header' },
    h('div', { class: 'trace-title-row' },
      h('h1', { class: 'trace-title' }, root ? [h('span', { class: 'chip', style: `background:${serviceColor(root.service)}` }), h('b', {}, root.service), ' ', root.name] : 'Trace'),
      h('div', { class: 'actions' },
        h('a', { class: 'button small', href: `#/compare?a=${model.traceId}` }, 'Compare with…'),
        h('button', { type: 'button', class: 'small', onclick: download }, 'Download JSON'),
        h('button', { type: 'button', class: 'small', onclick: () => navigator.clipboard?.writeText(location.href) }, 'Copy link'))),
    h('dl', { class: 'trace-stats' },
      h('div', {}, h('dt', {}, 'Duration'), h('dd', { class: 'trace-duration' }, duration(model.duration))),
      h('div', {}, h('dt', {}, 'Spans'), h('dd', { class: 'trace-span-count' }, String(model.spans.length))),
      h('div', {}, h('dt', {}, 'Errors'), h('dd', { class: model.errorCount ? 'status-error trace-error-count' : 'trace-error-count' }, String(model.errorCount))),
      h('div', {}, h('dt', {}, 'Services'), h('dd', {}, model.services.map((service) => h('span', { class: 'service-pill' }, h('span', { class: 'chip', style: `background:${serviceColor(service)}` }), service)))),
      h('div', {}, h('dt', {}, 'Started'), h('dd', {}, startMillis ? dateTime(startMillis) : '–')),
      h('div', {}, h('dt', {}, 'Trace id'), h('dd', {}, h('code', {}, model.traceId))),
      headerFacts(model).map(([label, value]) => h('div', { class: 'trace-attribute' }, h('dt', {}, label), h('dd', {}, value)))),
    h('div', { class: 'highlights' },
      slowest ? h('p', { class: 'highlight-slow' }, 'Most time spent in ', spanButton(slowest, select), ` — ${duration(slowest.selfTime)} of its own (${Math.round(100 * slowest.selfTime / Math.max(model.duration, 1))}% of the trace)`) : null,
      origins.slice(0, 3).map((span) => h('p', { class: 'highlight-error' }, 'Failed in ', spanButton(span, select), span.statusMessage ? `: ${span.statusMessage}` : '')),
      origins.length > 3 ? h('p', { class: 'muted' }, `and ${origins.length - 3} more error spans`) : null),
    h('div', { class: 'trace-toolbar' }, tabs, h('div', { class: 'find-box' }, findInput, findCount)));

  replace(view, header, h('div', { class: 'trace-body' }, main, panelSlot));
  showView();
  performance.mark('clew:trace-rendered');
  const wanted = params.get('span');
  const index = wanted ? model.spans.findIndex((span) => span.id === wanted) : -1;
  if (index >= 0) select(index); else waterfall?.focus();

  const onKey = (event) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) return;
    if (event.key === '/') { event.preventDefault(); findInput.focus(); }
    if (event.key === 'n' || event.key === 'N') find(event.key === 'n' ? 1 : -1);
  };
  document.addEventListener('keydown', onKey);
  return () => { document.removeEventListener('keydown', onKey); waterfall?.destroy(); };
}
