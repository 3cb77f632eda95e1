// The waterfall: the span tree on a time axis. Only the rows in view are in the DOM, so a
// trace of 100,000 spans scrolls like one of ten. A minimap above picks the time window;
// trace-level events have their own lane under the axis.
import { h, replace } from './dom.js';
import { duration, serviceColor, ticks } from './format.js';
import { visibleRows } from './tracemodel.js';

const ROW_HEIGHT = 24;
const OVERSCAN = 8;

/**
 * Creates a waterfall for `model`. `onSelect(index)` is called when a span is chosen,
 * `onEvent(event)` when a trace-level event is.
 * Returns { element, select(index), setMatches(indices), reveal(index), focus(), destroy() }.
 */
export function createWaterfall(model, { onSelect, onEvent }) {
  const collapsed = new Set();
  let rows = visibleRows(model, collapsed);
  let rowOf = new Map(rows.map((index, position) => [index, position]));
  let selected = -1;
  let matches = new Set();
  let view = { from: 0, to: Math.max(model.duration, 1) };
  let frame = 0;

  const spacer = h('div', { class: 'wf-spacer' });
  const scroller = h('div', {
    class: 'wf-scroll', tabindex: 0, role: 'tree', 'aria-label': `Spans of the trace (${model.spans.length}); arrow keys move, left and right fold`,
  }, spacer);
  const axis = h('div', { class: 'wf-axis' });
  const eventsLane = h('div', { class: 'wf-events-lane' });
  const minimapCanvas = h('canvas', { class: 'wf-minimap-canvas', height: 48 });
  const minimapWindow = h('div', { class: 'wf-minimap-window' });
  const resetZoom = h('button', { type: 'button', class: 'small', hidden: true, onclick: () => setWindow(0, model.duration) }, 'Reset zoom');
  const minimap = h('div', { class: 'wf-minimap', title: 'Drag to zoom into a time range; double-click to see the whole trace' }, minimapCanvas, minimapWindow);
  const element = h('div', { class: 'waterfall' },
    h('div', { class: 'wf-toolbar' },
      h('button', { type: 'button', class: 'small', onclick: () => collapseAll() }, 'Collapse all'),
      h('button', { type: 'button', class: 'small', onclick: () => expandAll() }, 'Expand all'),
      resetZoom,
      h('span', { class: 'legend' }, h('span', { class: 'legend-critical' }), 'critical path', h('span', { class: 'legend-error' }), 'error')),
    minimap,
    h('div', { class: 'wf-head' }, h('div', { class: 'wf-name-head' }, 'Service · operation'), axis),
    h('div', { class: 'wf-head wf-events-row' },
      h('div', { class: 'wf-name-head' }, `Trace events (${model.events.length})`), eventsLane),
    scroller);

  const toX = (time) => ((time - view.from) / (view.to - view.from)) * 100;

  function renderAxis() {
    const span = view.to - view.from;
    replace(axis, ticks(span, 6).map((offset) => h('span', { class: 'tick', style: `left:${(offset / span) * 100}%` },
      duration(view.from + offset))));
    replace(eventsLane, model.events.map((event) => {
      const x = toX(event.time);
      if (x < 0 || x > 100) return null;
      return h('button', {
        type: 'button', class: `wf-event level-${String(event.level).toLowerCase()}`, style: `left:${x}%`,
        title: `${event.name} at ${duration(event.time)}`, 'aria-label': `trace event ${event.name}`,
        onclick: () => onEvent(event),
      });
    }));
    const full = Math.max(model.duration, 1);
    minimapWindow.style.left = `${(view.from / full) * 100}%`;
    minimapWindow.style.width = `${((view.to - view.from) / full) * 100}%`;
    resetZoom.hidden = view.from === 0 && view.to >= model.duration;
  }

  function drawMinimap() {
    const width = minimap.clientWidth || 800;
    minimapCanvas.width = width;
    const context = minimapCanvas.getContext('2d');
    context.clearRect(0, 0, width, minimapCanvas.height);
    const full = Math.max(model.duration, 1);
    const rowScale = minimapCanvas.height / Math.max(model.order.length, 1);
    const barHeight = Math.max(1, Math.min(4, rowScale));
    model.order.forEach((index, position) => {
      const span = model.spans[index];
      context.fillStyle = span.error ? '#d93025' : serviceColor(span.service);
      context.fillRect((span.start / full) * width, position * rowScale, Math.max(1, (span.duration / full) * width), barHeight);
    });
  }

  function rowElement(index, position) {
    const span = model.spans[index];
    const hasChildren = span.children.length > 0;
    const isCollapsed = collapsed.has(index);
    const left = Math.max(0, toX(span.start));
    const right = Math.min(100, toX(span.end));
    const outside = right < 0 || left > 100;
    const classes = ['wf-row'];
    if (span.error) classes.push('is-error');
    if (span.critical) classes.push('is-critical');
    if (index === selected) classes.push('is-selected');
    if (matches.has(index)) classes.push('is-match');
    return h('div', {
      class: classes.join(' '), role: 'treeitem', style: `top:${position * ROW_HEIGHT}px`,
      'aria-level': span.depth + 1, 'aria-selected': index === selected ? 'true' : 'false',
      'aria-expanded': hasChildren ? String(!isCollapsed) : null,
      dataset: { spanId: span.id, index },
      onclick: (event) => { if (!event.target.closest('.wf-toggle')) select(index); },
    },
    h('div', { class: 'wf-name', style: `padding-left:${4 + span.depth * 14}px` },
      hasChildren
        ? h('button', { type: 'button', class: 'wf-toggle', tabindex: -1, 'aria-label': isCollapsed ? 'Expand' : 'Collapse', onclick: () => toggle(index) }, isCollapsed ? '▸' : '▾')
        : h('span', { class: 'wf-toggle-space' }),
      h('span', { class: 'chip', style: `background:${serviceColor(span.service)}` }),
      h('span', { class: 'wf-service' }, span.service),
      h('span', { class: 'wf-operation' }, span.name),
      span.error ? h('span', { class: 'error-mark', title: span.statusMessage || 'error' }, '!') : null,
      isCollapsed ? h('span', { class: 'muted' }, ` +${span.children.length}`) : null),
    h('div', { class: 'wf-timeline' },
      outside ? null : h('div', {
        class: 'wf-bar', style: `left:${left}%;width:max(2px, ${right - left}%);background:${span.error ? '' : serviceColor(span.service)}`,
      }),
      durationLabel(span, left, right)));
  }

  // The duration goes after the bar, or, when the bar ends near the right edge, inside it
  // (a wide bar) or before it (a narrow one), so it is never cut off.
  function durationLabel(span, left, right) {
    const text = duration(span.duration);
    if (right <= 85) return h('span', { class: 'wf-duration', style: `left:${Math.max(right, 0)}%` }, text);
    if (right - left >= 12) return h('span', { class: 'wf-duration inside', style: `right:${100 - right}%` }, text);
    return h('span', { class: 'wf-duration before', style: `right:${Math.max(0, 100 - left)}%` }, text);
  }

  function renderRows() {
    frame = 0;
    spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const count = Math.ceil((scroller.clientHeight || 600) / ROW_HEIGHT) + 2 * OVERSCAN;
    const last = Math.min(rows.length, first + count);
    const elements = [];
    for (let position = first; position < last; position += 1) elements.push(rowElement(rows[position], position));
    spacer.replaceChildren(...elements);
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(renderRows);
  }

  function relayout() {
    rows = visibleRows(model, collapsed);
    rowOf = new Map(rows.map((index, position) => [index, position]));
    renderRows();
  }

  function toggle(index) {
    if (collapsed.has(index)) collapsed.delete(index); else collapsed.add(index);
    relayout();
  }

  function collapseAll() {
    for (const span of model.spans) if (span.children.length > 0 && span.parent !== -1) collapsed.add(span.index);
    relayout();
  }

  function expandAll() {
    collapsed.clear();
    relayout();
  }

  function setWindow(from, to) {
    view = { from: Math.max(0, from), to: Math.max(from + 1, to) };
    renderAxis();
    renderRows();
  }

  /** Makes a span's row visible: unfolds its ancestors and scrolls to it. */
  function reveal(index) {
    let changed = false;
    for (let parent = model.spans[index].parent; parent !== -1; parent = model.spans[parent].parent) {
      if (collapsed.delete(parent)) changed = true;
    }
    if (changed) relayout();
    const position = rowOf.get(index);
    if (position === undefined) return;
    const top = position * ROW_HEIGHT;
    if (top < scroller.scrollTop || top + ROW_HEIGHT > scroller.scrollTop + scroller.clientHeight) {
      scroller.scrollTop = Math.max(0, top - scroller.clientHeight / 3);
    }
    renderRows();
  }

  function select(index, { notify = true } = {}) {
    selected = index;
    if (index >= 0) reveal(index); else renderRows();
    if (notify) onSelect(index);
  }

  function move(delta) {
    const position = rowOf.get(selected);
    const next = position === undefined ? 0 : Math.min(rows.length - 1, Math.max(0, position + delta));
    select(rows[next]);
  }

  scroller.addEventListener('scroll', schedule, { passive: true });
  scroller.addEventListener('keydown', (event) => {
    const span = model.spans[selected];
    const page = Math.max(1, Math.floor(scroller.clientHeight / ROW_HEIGHT) - 1);
    const keys = {
      ArrowDown: () => move(1), ArrowUp: () => move(-1), PageDown: () => move(page), PageUp: () => move(-page),
      Home: () => select(rows[0]), End: () => select(rows[rows.length - 1]),
      ArrowRight: () => {
        if (!span) return move(0);
        if (collapsed.has(selected)) toggle(selected); else if (span.children.length > 0) select(span.children[0]);
      },
      ArrowLeft: () => {
        if (!span) return move(0);
        if (span.children.length > 0 && !collapsed.has(selected)) toggle(selected); else if (span.parent !== -1) select(span.parent);
      },
      Enter: () => span && span.children.length > 0 && toggle(selected),
      Escape: () => select(-1),
    };
    if (keys[event.key]) { event.preventDefault(); keys[event.key](); }
  });

  // Minimap: drag to choose a time window, double-click for the whole trace.
  let dragFrom = null;
  const timeAt = (event) => {
    const box = minimap.getBoundingClientRect();
    return Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)) * model.duration;
  };
  minimap.addEventListener('pointerdown', (event) => { dragFrom = timeAt(event); minimap.setPointerCapture(event.pointerId); });
  minimap.addEventListener('pointerup', (event) => {
    if (dragFrom === null) return;
    const to = timeAt(event);
    if (Math.abs(to - dragFrom) > model.duration / 200) setWindow(Math.min(dragFrom, to), Math.max(dragFrom, to));
    dragFrom = null;
  });
  minimap.addEventListener('dblclick', () => setWindow(0, model.duration));
  const resize = new ResizeObserver(() => { drawMinimap(); schedule(); });
  resize.observe(minimap);
  resize.observe(scroller);

  renderAxis();
  return {
    element,
    select: (index) => select(index, { notify: false }),
    reveal,
    setMatches(indices) { matches = new Set(indices); renderRows(); },
    focus() { scroller.focus(); },
    start() { drawMinimap(); renderRows(); },
    destroy() { resize.disconnect(); if (frame) cancelAnimationFrame(frame); },
  };
}
