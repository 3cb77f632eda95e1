// The service map: services as boxes, calls between them as arrows labelled with the call
// count, error rate and latency percentiles of the callee's spans, for a chosen time range,
// and the same figures in a table. Services are laid out in columns by how far they are
// from a service nobody calls.
import { h, replace } from './dom.js';
import * as api from './api.js';
import { serviceColor, duration, percent, nanosOrNull } from './format.js';
import { replaceParams } from './route.js';
import { noData } from './states.js';

const RANGES = [['1h', 'Last hour', 60], ['6h', 'Last 6 hours', 360], ['24h', 'Last 24 hours', 1440], ['7d', 'Last 7 days', 10080]];
const NODE_WIDTH = 150;
const NODE_HEIGHT = 36;
const COLUMN_GAP = 230;
const ROW_GAP = 44;

/** Column (distance from a root service) and row of each service. */
function layout(edges) {
  const names = [...new Set(edges.flatMap((edge) => [edge.parent, edge.child]))].sort();
  const callers = new Map(names.map((name) => [name, []]));
  for (const edge of edges) if (edge.parent !== edge.child) callers.get(edge.child).push(edge.parent);
  const column = new Map();
  const columnOf = (name, path = new Set()) => {
    if (column.has(name)) return column.get(name);
    if (path.has(name)) return 0;
    path.add(name);
    const value = Math.max(-1, ...callers.get(name).map((caller) => columnOf(caller, path))) + 1;
    column.set(name, value);
    return value;
  };
  for (const name of names) columnOf(name);
  const rowsInColumn = new Map();
  const position = new Map();
  for (const name of names) {
    const col = column.get(name);
    const row = rowsInColumn.get(col) ?? 0;
    rowsInColumn.set(col, row + 1);
    position.set(name, { x: 20 + col * (NODE_WIDTH + COLUMN_GAP), y: 20 + row * (NODE_HEIGHT + ROW_GAP) });
  }
  return { names, position, columns: Math.max(...column.values()) + 1, rows: Math.max(...rowsInColumn.values()) };
}

/** An edge of /api/v1/dependencies with its percentiles as numbers (null when absent). */
function withLatency(edge) {
  return { ...edge, p50: nanosOrNull(edge.p50Nanos), p95: nanosOrNull(edge.p95Nanos), p99: nanosOrNull(edge.p99Nanos) };
}

/** "p50 2ms · p95 9ms · p99 12ms", or null when the server gave no latency. */
function latencyText(edge) {
  if (edge.p50 === null && edge.p95 === null && edge.p99 === null) return null;
  return ['p50', 'p95', 'p99'].map((name) => `${name} ${duration(edge[name] ?? NaN)}`).join(' · ');
}

function mapSvg(edges) {
  const { names, position, columns, rows } = layout(edges);
  const width = 40 + columns * NODE_WIDTH + (columns - 1) * COLUMN_GAP;
  const height = 40 + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP;
  const svg = h('svg:svg', { class: 'service-map', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `Service map: ${names.length} services, ${edges.length} call paths` },
    h('svg:defs', {}, h('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 10, markerHeight: 10, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' },
      h('svg:path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head' }))));
  const incoming = new Map();
  for (const edge of edges) incoming.set(edge.child, (incoming.get(edge.child) ?? 0) + 1);
  for (const edge of edges) {
    const from = position.get(edge.parent);
    const to = position.get(edge.child);
    const errorRate = edge.callCount ? edge.errorCount / edge.callCount : 0;
    const x1 = from.x + NODE_WIDTH;
    const y1 = from.y + NODE_HEIGHT / 2;
    const x2 = to.x;
    const y2 = to.y + NODE_HEIGHT / 2;
    const backwards = x2 <= x1;
    const path = backwards
      ? `M ${from.x + NODE_WIDTH / 2} ${from.y + NODE_HEIGHT} C ${from.x + NODE_WIDTH / 2} ${from.y + NODE_HEIGHT + 40}, ${to.x + NODE_WIDTH / 2} ${to.y + NODE_HEIGHT + 40}, ${to.x + NODE_WIDTH / 2} ${to.y + NODE_HEIGHT}`
      : `M ${x1} ${y1} C ${x1 + COLUMN_GAP / 2} ${y1}, ${x2 - COLUMN_GAP / 2} ${y2}, ${x2} ${y2}`;
    const latency = latencyText(edge);
    // Arrows leaving one service fan out from the same point, so a label sits by the arrow's
    // end, where it is alone (on the side the arrow does not come from), unless other arrows
    // end there too.
    const byTarget = !backwards && incoming.get(edge.child) === 1;
    const label = byTarget
      ? { x: x2 - 12, y: y2, anchor: 'end', lines: y1 < y2 - 1 ? [15, 29] : y1 > y2 + 1 ? [-21, -7] : [-7, 15] }
      : { x: (x1 + x2) / 2, y: (y1 + y2) / 2, anchor: 'middle', lines: [-7, 15] };
    svg.append(h('svg:g', { class: errorRate > 0 ? 'edge edge-error' : 'edge', dataset: { parent: edge.parent, child: edge.child } },
      h('svg:path', { d: path, 'marker-end': 'url(#arrow)', 'stroke-width': Math.min(6, 1 + Math.log10(edge.callCount + 1)) }),
      h('svg:text', { x: label.x, y: label.y + label.lines[0], 'text-anchor': label.anchor, class: 'edge-label' },
        `${edge.callCount} calls${errorRate > 0 ? ` · ${percent(errorRate)} err` : ''}`),
      latency ? h('svg:text', { x: label.x, y: label.y + label.lines[1], 'text-anchor': label.anchor, class: 'edge-label edge-latency' }, latency) : null,
      h('svg:title', {}, `${edge.parent} → ${edge.child}: ${edge.callCount} calls, ${edge.errorCount} errors${latency ? `; ${latency}` : ''}`)));
  }
  for (const name of names) {
    const { x, y } = position.get(name);
    svg.append(h('svg:a', { href: `#/search?service=${encodeURIComponent(name)}`, class: 'node', dataset: { service: name } },
      h('svg:rect', { x, y, width: NODE_WIDTH, height: NODE_HEIGHT, rx: 6 }),
      h('svg:rect', { x, y, width: 6, height: NODE_HEIGHT, rx: 2, fill: serviceColor(name) }),
      h('svg:text', { x: x + 14, y: y + NODE_HEIGHT / 2 + 4 }, name),
      h('svg:title', {}, `${name}: search its traces`)));
  }
  return svg;
}

/** The calls as a table: caller, callee, count, error rate and latency. */
function edgesTable(edges, range) {
  const sorted = [...edges].sort((a, b) => a.parent.localeCompare(b.parent) || a.child.localeCompare(b.child));
  return h('table', { class: 'data-table edges-table' },
    h('thead', {}, h('tr', {}, ['Caller', 'Callee', 'Calls', 'Error rate', 'p50', 'p95', 'p99'].map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, sorted.map((edge) => h('tr', { class: 'edge-row', dataset: { parent: edge.parent, child: edge.child } },
      h('td', {}, h('span', { class: 'chip', style: `background:${serviceColor(edge.parent)}` }), edge.parent),
      h('td', {}, h('span', { class: 'chip', style: `background:${serviceColor(edge.child)}` }),
        h('a', { href: `#/operations?${new URLSearchParams({ service: edge.child, range })}`, title: `Operations of ${edge.child}` }, edge.child)),
      h('td', { class: 'figure' }, String(edge.callCount)),
      h('td', { class: edge.errorCount > 0 ? 'figure status-error' : 'figure' }, percent(edge.callCount ? edge.errorCount / edge.callCount : 0)),
      h('td', { class: 'figure edge-p50' }, duration(edge.p50 ?? NaN)),
      h('td', { class: 'figure edge-p95' }, duration(edge.p95 ?? NaN)),
      h('td', { class: 'figure edge-p99' }, duration(edge.p99 ?? NaN))))));
}

/** Renders `#/map?range=…`. */
export async function renderServiceMap(view, { params }) {
  const range = params.get('range') ?? '1h';
  const minutes = RANGES.find(([value]) => value === range)?.[2] ?? 60;
  const now = Date.now();
  const picker = h('select', { 'aria-label': 'Time range', onchange: (event) => { location.hash = `#/map?range=${event.target.value}`; } },
    RANGES.map(([value, label]) => h('option', { value, selected: value === range }, label)));
  replace(view, h('div', { class: 'page-head' }, h('h1', {}, 'Service map'), picker), h('p', { class: 'muted' }, 'Loading…'));
  const edges = (await api.dependencies(now - minutes * 60e3, now)).map(withLatency);
  replaceParams(new URLSearchParams({ range }));
  if (edges.length === 0) {
    const services = await api.services();
    replace(view, h('div', { class: 'page-head' }, h('h1', {}, 'Service map'), picker),
      services.length === 0 ? noData() : h('section', { class: 'notice notice-empty', role: 'status' },
        h('h2', {}, 'No calls between services in this time range'), h('p', {}, 'Choose a longer range above.')));
    return;
  }
  replace(view, h('div', { class: 'page-head' }, h('h1', {}, 'Service map'), picker),
    h('p', { class: 'muted' }, 'Arrows go from caller to callee, labelled with the calls, the share that failed and the latency of the callee\'s spans (p50, p95, p99). Click a service to search its traces.'),
    h('div', { class: 'panel map-panel' }, mapSvg(edges)),
    h('h2', { class: 'section-title' }, 'Calls'),
    edgesTable(edges, range));
}
