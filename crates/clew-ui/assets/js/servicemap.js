// The service map: services as boxes, calls between them as arrows labelled with the call
// count and error rate, for a chosen time range. Services are laid out in columns by
// how far they are from a service nobody calls.
import { h, replace } from './dom.js';
import * as api from './api.js';
import { serviceColor } from './format.js';
import { replaceParams } from './route.js';
import { noData } from './states.js';

const RANGES = [['1h', 'Last hour', 60], ['6h', 'Last 6 hours', 360], ['24h', 'Last 24 hours', 1440], ['7d', 'Last 7 days', 10080]];
const NODE_WIDTH = 150;
const NODE_HEIGHT = 36;
const COLUMN_GAP = 190;
const ROW_GAP = 34;

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

function mapSvg(edges) {
  const { names, position, columns, rows } = layout(edges);
  const width = 40 + columns * NODE_WIDTH + (columns - 1) * COLUMN_GAP;
  const height = 40 + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP;
  const svg = h('svg:svg', { class: 'service-map', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `Service map: ${names.length} services, ${edges.length} call paths` },
    h('svg:defs', {}, h('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 10, markerHeight: 10, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' },
      h('svg:path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head' }))));
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
    svg.append(h('svg:g', { class: errorRate > 0 ? 'edge edge-error' : 'edge', dataset: { parent: edge.parent, child: edge.child } },
      h('svg:path', { d: path, 'marker-end': 'url(#arrow)', 'stroke-width': Math.min(6, 1 + Math.log10(edge.callCount + 1)) }),
      h('svg:text', { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 6, 'text-anchor': 'middle', class: 'edge-label' },
        `${edge.callCount} calls${errorRate > 0 ? ` · ${(100 * errorRate).toFixed(1)}% err` : ''}`),
      h('svg:title', {}, `${edge.parent} → ${edge.child}: ${edge.callCount} calls, ${edge.errorCount} errors`)));
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

/** Renders `#/map?range=…`. */
export async function renderServiceMap(view, { params }) {
  const range = params.get('range') ?? '1h';
  const minutes = RANGES.find(([value]) => value === range)?.[2] ?? 60;
  const now = Date.now();
  const picker = h('select', { 'aria-label': 'Time range', onchange: (event) => { location.hash = `#/map?range=${event.target.value}`; } },
    RANGES.map(([value, label]) => h('option', { value, selected: value === range }, label)));
  replace(view, h('div', { class: 'page-head' }, h('h1', {}, 'Service map'), picker), h('p', { class: 'muted' }, 'Loading…'));
  const edges = await api.dependencies(now - minutes * 60e3, now);
  replaceParams(new URLSearchParams({ range }));
  if (edges.length === 0) {
    const services = await api.services();
    replace(view, h('div', { class: 'page-head' }, h('h1', {}, 'Service map'), picker),
      services.length === 0 ? noData() : h('section', { class: 'notice notice-empty', role: 'status' },
        h('h2', {}, 'No calls between services in this time range'), h('p', {}, 'Choose a longer range above.')));
    return;
  }
  replace(view, h('div', { class: 'page-head' }, h('h1', {}, 'Service map'), picker),
    h('p', { class: 'muted' }, 'Arrows go from caller to callee, labelled with the calls and the share that failed. Click a service to search its traces.'),
    h('div', { class: 'panel map-panel' }, mapSvg(edges)));
}
