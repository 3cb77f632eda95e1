// The side panel: everything about one span (or one trace-level event).
import { h } from './dom.js';
import { duration, serviceColor, valueText, nanosToMillis, dateTime } from './format.js';

function attributeTable(attributes, empty) {
  if (!attributes || attributes.length === 0) return h('p', { class: 'muted' }, empty);
  return h('table', { class: 'kv' }, h('tbody', {}, attributes.map(({ key, value, type }) => h('tr', {},
    h('th', { scope: 'row' }, key), h('td', { title: type ?? '' }, valueText(value))))));
}

function section(title, count, ...body) {
  return h('details', { class: 'panel-section', open: true },
    h('summary', {}, title, count === null ? null : h('span', { class: 'count' }, String(count))), ...body);
}

function eventList(events, spanStartText) {
  if (events.length === 0) return h('p', { class: 'muted' }, 'No events.');
  const origin = BigInt(spanStartText);
  return h('ol', { class: 'event-list' }, events.map((event) => h('li', {},
    h('div', { class: 'event-head' },
      h('span', { class: `level level-${String(event.level ?? 'info').toLowerCase()}` }, event.level ?? 'EVENT'),
      h('b', {}, event.name),
      h('span', { class: 'muted' }, `+${duration(Number(BigInt(event.timeUnixNano) - origin))}`)),
    attributeTable(event.attributes, ''))));
}

/** The panel for span `span` of trace `model`; `onClose` hides it, `onSelect(index)` picks another span. */
export function spanPanel(span, model, { onClose, onSelect }) {
  const raw = span.raw;
  const parent = span.parent === -1 ? null : model.spans[span.parent];
  const events = [...raw.events, ...raw.logs].sort((a, b) => (BigInt(a.timeUnixNano) < BigInt(b.timeUnixNano) ? -1 : 1));
  return h('aside', { class: 'span-panel', 'aria-label': 'Span details' },
    h('div', { class: 'panel-head' },
      h('div', {},
        h('div', { class: 'panel-service' }, h('span', { class: 'chip', style: `background:${serviceColor(span.service)}` }), span.service),
        h('h2', { class: 'panel-title' }, span.name)),
      h('button', { type: 'button', class: 'close', 'aria-label': 'Close the span details', onclick: onClose }, '×')),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Duration'), h('dd', {}, duration(span.duration), span.critical ? h('span', { class: 'badge critical' }, 'critical path') : null),
      h('dt', {}, 'Self time'), h('dd', {}, duration(span.selfTime)),
      h('dt', {}, 'Starts at'), h('dd', {}, `+${duration(span.start)}`, h('span', { class: 'muted' }, ` (${dateTime(nanosToMillis(raw.startTimeUnixNano))})`)),
      h('dt', {}, 'Kind'), h('dd', {}, raw.kind, raw.label ? ` · ${raw.label}` : ''),
      h('dt', {}, 'Status'), h('dd', { class: span.error ? 'status-error' : '' }, raw.status.code, raw.status.message ? `: ${raw.status.message}` : ''),
      h('dt', {}, 'Span id'), h('dd', {}, h('code', {}, raw.spanId)),
      h('dt', {}, 'Parent'), h('dd', {}, parent
        ? h('button', { type: 'button', class: 'linkish', onclick: () => onSelect(parent.index) }, `${parent.service}: ${parent.name}`)
        : raw.parentSpanId ? h('code', { title: 'not in this trace' }, `${raw.parentSpanId} (missing)`) : 'none (root)'),
      h('dt', {}, 'Scope'), h('dd', {}, raw.scope || '–')),
    section('Attributes', raw.attributes.length, attributeTable(raw.attributes, 'No attributes.')),
    section('Events', events.length, eventList(events, raw.startTimeUnixNano)),
    section('Links', raw.links.length, raw.links.length === 0 ? h('p', { class: 'muted' }, 'No links.')
      : h('ul', { class: 'link-list' }, raw.links.map((link) => h('li', {},
        h('a', { href: `#/trace/${link.traceId}?span=${link.spanId}` }, `${link.traceId.slice(0, 12)}… / ${link.spanId}`),
        attributeTable(link.attributes, ''))))),
    section('Resource', raw.resource.length, attributeTable(raw.resource, 'No resource attributes.')));
}

/** The panel for a trace-level event. */
export function eventPanel(event, { onClose }) {
  return h('aside', { class: 'span-panel', 'aria-label': 'Trace event details' },
    h('div', { class: 'panel-head' },
      h('div', {}, h('div', { class: 'panel-service' }, 'Trace event · ', event.service ?? ''), h('h2', { class: 'panel-title' }, event.name)),
      h('button', { type: 'button', class: 'close', 'aria-label': 'Close the event details', onclick: onClose }, '×')),
    h('dl', { class: 'facts' },
      h('dt', {}, 'At'), h('dd', {}, `+${duration(event.time)}`),
      h('dt', {}, 'Level'), h('dd', {}, event.level)),
    section('Attributes', event.attributes.length, attributeTable(event.attributes, 'No attributes.')));
}
