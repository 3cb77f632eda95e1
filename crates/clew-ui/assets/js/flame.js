// The flame graph of one trace: spans stacked by depth on the trace's time axis, drawn on
// a canvas (a trace of 100,000 spans draws in one pass). Click a span to select it and
// zoom to it; click the top bar or press Escape to zoom out.
import { h } from './dom.js';
import { duration, serviceColor } from './format.js';

const BAR_HEIGHT = 20;

/** The flame graph view of `model`; `onSelect(index)` is called with the clicked span. */
export function flameGraph(model, { onSelect }) {
  const maxDepth = Math.max(0, ...model.spans.map((span) => span.depth));
  const canvas = h('canvas', { class: 'flame-canvas', height: (maxDepth + 1) * BAR_HEIGHT, tabindex: 0,
    'aria-label': 'Flame graph: click a span to select and zoom to it; Escape zooms out' });
  const tooltip = h('div', { class: 'flame-tooltip', hidden: true });
  const container = h('div', { class: 'flame-view' },
    h('p', { class: 'muted' }, 'Each bar is a span, below the span that called it; width is time. Click to zoom, Escape to zoom out.'),
    h('div', { class: 'flame-wrap' }, canvas, tooltip));
  let view = { from: 0, to: Math.max(model.duration, 1) };
  const byDepth = [];
  for (const span of model.spans) (byDepth[span.depth] ??= []).push(span);

  function draw() {
    const width = container.clientWidth || 900;
    canvas.width = width;
    const context = canvas.getContext('2d');
    context.clearRect(0, 0, width, canvas.height);
    context.font = '12px system-ui, sans-serif';
    context.textBaseline = 'middle';
    const scale = width / (view.to - view.from);
    byDepth.forEach((spans, depth) => {
      for (const span of spans) {
        const x = (span.start - view.from) * scale;
        const w = span.duration * scale;
        if (x + w < 0 || x > width || w < 0.5) continue;
        context.fillStyle = span.error ? '#d93025' : serviceColor(span.service);
        context.fillRect(x, depth * BAR_HEIGHT, Math.max(w - 1, 1), BAR_HEIGHT - 1);
        if (w > 40) {
          context.fillStyle = '#fff';
          context.save();
          context.beginPath();
          context.rect(Math.max(x, 0), depth * BAR_HEIGHT, w - 2, BAR_HEIGHT);
          context.clip();
          context.fillText(`${span.name} (${duration(span.duration)})`, Math.max(x, 0) + 4, depth * BAR_HEIGHT + BAR_HEIGHT / 2);
          context.restore();
        }
      }
    });
  }

  function spanAt(event) {
    const box = canvas.getBoundingClientRect();
    const depth = Math.floor((event.clientY - box.top) / BAR_HEIGHT);
    const time = view.from + ((event.clientX - box.left) / box.width) * (view.to - view.from);
    return (byDepth[depth] ?? []).find((span) => span.start <= time && span.end >= time) ?? null;
  }

  canvas.addEventListener('mousemove', (event) => {
    const span = spanAt(event);
    tooltip.hidden = !span;
    if (!span) return;
    tooltip.textContent = `${span.service}: ${span.name} — ${duration(span.duration)} (self ${duration(span.selfTime)})${span.error ? ' — error' : ''}`;
    tooltip.style.left = `${event.offsetX + 12}px`;
    tooltip.style.top = `${event.offsetY + 12}px`;
  });
  canvas.addEventListener('mouseleave', () => { tooltip.hidden = true; });
  canvas.addEventListener('click', (event) => {
    const span = spanAt(event);
    if (!span) return;
    view = span.parent === -1 ? { from: 0, to: Math.max(model.duration, 1) } : { from: span.start, to: Math.max(span.end, span.start + 1) };
    draw();
    onSelect(span.index);
  });
  canvas.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') { view = { from: 0, to: Math.max(model.duration, 1) }; draw(); }
  });
  new ResizeObserver(draw).observe(container);
  return container;
}
