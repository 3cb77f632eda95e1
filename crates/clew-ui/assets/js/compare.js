// Two traces side by side: spans matched by their place in the tree (the chain of
// service and operation names from the root, and which occurrence among siblings), with
// the duration of each side and the difference; spans found in one trace only are marked.
import { h, replace, notice } from './dom.js';
import * as api from './api.js';
import { duration, serviceColor } from './format.js';
import { buildTrace } from './tracemodel.js';

/** Each span's structural key: parent's key / service:name#occurrence. */
function structureKeys(model) {
  const keys = new Array(model.spans.length);
  const seen = new Map();
  for (const index of model.order) {
    const span = model.spans[index];
    const parentKey = span.parent === -1 ? '' : keys[span.parent];
    const base = `${parentKey}/${span.service}:${span.name}`;
    const occurrence = seen.get(base) ?? 0;
    seen.set(base, occurrence + 1);
    keys[index] = `${base}#${occurrence}`;
  }
  return keys;
}

/** Merged rows: { key, depth, name, service, a, b } with a/b the spans (or undefined). */
export function matchTraces(left, right) {
  const leftKeys = structureKeys(left);
  const rightKeys = structureKeys(right);
  const rows = [];
  const position = new Map();
  for (const index of left.order) {
    const span = left.spans[index];
    position.set(leftKeys[index], rows.length);
    rows.push({ key: leftKeys[index], depth: span.depth, name: span.name, service: span.service, a: span, b: undefined });
  }
  const inserts = [];
  let anchor = -1;
  for (const index of right.order) {
    const key = rightKeys[index];
    const span = right.spans[index];
    if (position.has(key)) {
      rows[position.get(key)].b = span;
      anchor = position.get(key);
    } else {
      inserts.push({ after: anchor, row: { key, depth: span.depth, name: span.name, service: span.service, a: undefined, b: span } });
    }
  }
  const merged = [];
  let next = 0;
  for (let index = -1; index < rows.length; index += 1) {
    if (index >= 0) merged.push(rows[index]);
    while (next < inserts.length && inserts[next].after === index) { merged.push(inserts[next].row); next += 1; }
  }
  return merged;
}

function idForm(a, b) {
  const form = h('form', { class: 'compare-form', onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(form);
    location.hash = `#/compare?a=${encodeURIComponent(String(data.get('a')).trim())}&b=${encodeURIComponent(String(data.get('b')).trim())}`;
  } },
  h('label', {}, 'Trace A', h('input', { name: 'a', value: a ?? '', required: true, placeholder: 'trace id', size: 34 })),
  h('label', {}, 'Trace B', h('input', { name: 'b', value: b ?? '', required: true, placeholder: 'trace id', size: 34 })),
  h('button', { type: 'submit', class: 'primary' }, 'Compare'));
  return form;
}

function diffCell(row) {
  if (!row.a) return h('td', { class: 'diff only' }, 'only in B');
  if (!row.b) return h('td', { class: 'diff only' }, 'only in A');
  const delta = row.b.duration - row.a.duration;
  const percent = row.a.duration > 0 ? Math.round((100 * delta) / row.a.duration) : 0;
  const kind = Math.abs(percent) < 10 ? 'same' : delta > 0 ? 'slower' : 'faster';
  return h('td', { class: `diff ${kind}` }, `${delta > 0 ? '+' : ''}${duration(delta)} (${percent > 0 ? '+' : ''}${percent}%)`);
}

function traceHead(label, model) {
  const root = model.spans[model.roots[0]];
  return h('div', { class: 'compare-head' }, h('span', { class: 'badge' }, label),
    h('a', { href: `#/trace/${model.traceId}` }, root ? `${root.service}: ${root.name}` : model.traceId),
    h('span', { class: 'muted' }, ` ${duration(model.duration)} · ${model.spans.length} spans · ${model.errorCount} errors`));
}

/** Renders `#/compare?a=…&b=…`. */
export async function renderCompare(view, { params }) {
  const a = params.get('a');
  const b = params.get('b');
  if (!a || !b) {
    replace(view, h('h1', {}, 'Compare two traces'), idForm(a, b),
      h('p', { class: 'muted' }, 'Tip: tick two traces in the search results and press “Compare 2 selected”.'));
    return;
  }
  replace(view, h('p', { class: 'muted pad' }, 'Loading both traces…'));
  const [left, right] = (await Promise.all([api.trace(a), api.trace(b)].map((promise) => promise.catch((error) => error))));
  for (const [label, answer] of [['A', left], ['B', right]]) {
    if (answer instanceof Error) {
      if (answer.unreachable) throw answer;
      replace(view, idForm(a, b), notice('error', `Trace ${label} cannot be loaded`, h('p', {}, answer.message)));
      return;
    }
  }
  const modelA = buildTrace(left);
  const modelB = buildTrace(right);
  const rows = matchTraces(modelA, modelB);
  const onlyA = rows.filter((row) => !row.b).length;
  const onlyB = rows.filter((row) => !row.a).length;
  replace(view,
    h('h1', {}, 'Compare two traces'),
    idForm(a, b),
    h('div', { class: 'compare-summary' }, traceHead('A', modelA), traceHead('B', modelB),
      h('p', {}, `${rows.length - onlyA - onlyB} spans matched, `, h('span', { class: 'only-count' }, `${onlyA} only in A, ${onlyB} only in B`),
        `; B is ${duration(Math.abs(modelB.duration - modelA.duration))} ${modelB.duration >= modelA.duration ? 'slower' : 'faster'} overall.`)),
    h('table', { class: 'data-table compare-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Span'), h('th', { scope: 'col' }, 'A'), h('th', { scope: 'col' }, 'B'), h('th', { scope: 'col' }, 'B − A'))),
      h('tbody', {}, rows.map((row) => h('tr', { class: !row.a ? 'only-b' : !row.b ? 'only-a' : '' },
        h('td', { style: `padding-left:${6 + row.depth * 14}px` },
          h('span', { class: 'chip', style: `background:${serviceColor(row.service)}` }), h('b', {}, row.service), ' ', row.name,
          (row.a?.error || row.b?.error) ? h('span', { class: 'error-mark', title: 'error' }, '!') : null),
        h('td', { class: row.a?.error ? 'status-error' : '' }, row.a ? duration(row.a.duration) : '–'),
        h('td', { class: row.b?.error ? 'status-error' : '' }, row.b ? duration(row.b.duration) : '–'),
        diffCell(row))))));
}
