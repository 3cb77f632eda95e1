// A trace as the pages use it: spans with times relative to the trace's start, the span
// tree, self times, the critical path and the trace's own attributes.

/**
 * Builds the model of a `/api/v1/traces/{id}` answer.
 * Times are nanoseconds from the trace's first start, as numbers (exact enough for a
 * trace shorter than 104 days).
 */
export function buildTrace(json) {
  const spanList = json.spans ?? [];
  let origin = null;
  for (const span of spanList) {
    const start = BigInt(span.startTimeUnixNano);
    if (origin === null || start < origin) origin = start;
  }
  for (const event of json.events ?? []) {
    const time = BigInt(event.timeUnixNano);
    if (origin === null || time < origin) origin = time;
  }
  origin ??= 0n;
  const relative = (text) => Number(BigInt(text) - origin);

  const byId = new Map();
  const spans = spanList.map((raw, index) => {
    const start = relative(raw.startTimeUnixNano);
    const end = Math.max(start, relative(raw.endTimeUnixNano));
    const span = {
      index, id: raw.spanId, parentId: raw.parentSpanId, parent: -1, children: [], depth: 0,
      name: raw.name, service: raw.service, kind: raw.kind, start, end, duration: end - start,
      error: raw.status?.code === 'error', statusMessage: raw.status?.message ?? '',
      selfTime: 0, critical: false, raw,
    };
    byId.set(raw.spanId, index);
    return span;
  });
  const roots = [];
  for (const span of spans) {
    const parent = span.parentId ? byId.get(span.parentId) : undefined;
    if (parent === undefined || parent === span.index) roots.push(span.index);
    else { span.parent = parent; spans[parent].children.push(span.index); }
  }
  const byStart = (a, b) => spans[a].start - spans[b].start || spans[a].end - spans[b].end;
  roots.sort(byStart);
  for (const span of spans) if (span.children.length > 1) span.children.sort(byStart);

  // Depth first order, iteratively (a trace may be deep).
  const order = [];
  const stack = [...roots].reverse();
  while (stack.length > 0) {
    const index = stack.pop();
    order.push(index);
    const span = spans[index];
    for (let child = span.children.length - 1; child >= 0; child -= 1) {
      spans[span.children[child]].depth = span.depth + 1;
      stack.push(span.children[child]);
    }
  }
  for (const span of spans) span.selfTime = selfTime(span, spans);
  markCriticalPath(spans, roots);

  const events = (json.events ?? []).map((event) => ({ ...event, time: relative(event.timeUnixNano) }))
    .sort((a, b) => a.time - b.time);
  const end = Math.max(0, ...spans.map((span) => span.end), ...events.map((event) => event.time));
  return {
    traceId: json.traceId, summary: json.summary, origin, spans, roots, order, events,
    duration: end, errorCount: spans.filter((span) => span.error).length,
    services: [...new Set(spans.map((span) => span.service))].sort(),
    header: traceHeader(json, spans),
  };
}

/** Time in the span not covered by any child (children clipped to the span). */
function selfTime(span, spans) {
  if (span.children.length === 0) return span.duration;
  let covered = 0;
  let cursor = span.start;
  for (const index of span.children) {
    const child = spans[index];
    const from = Math.max(child.start, cursor);
    const to = Math.min(child.end, span.end);
    if (to > from) { covered += to - from; cursor = to; }
  }
  return Math.max(0, span.duration - covered);
}

/**
 * Marks the critical path: from each root, walking back from its end, the child that
 * finished last before the cursor is on the path, then the cursor moves to that child's
 * start; the same is done inside every span on the path.
 */
function markCriticalPath(spans, roots) {
  const work = roots.map((index) => [index, spans[index].end]);
  while (work.length > 0) {
    const [index, until] = work.pop();
    const span = spans[index];
    span.critical = true;
    let cursor = Math.min(span.end, until);
    const byEnd = [...span.children].sort((a, b) => spans[b].end - spans[a].end);
    for (const childIndex of byEnd) {
      const child = spans[childIndex];
      // A child still running at the cursor (even one ending after its parent) is the
      // one the parent waited for; children that ended later than that are not.
      if (child.start < cursor && child.end > span.start && (child.end <= cursor || cursor === span.end)) {
        work.push([childIndex, Math.min(child.end, cursor)]);
        cursor = child.start;
      }
      if (cursor <= span.start) break;
    }
  }
}

/** Project id, request id, input, context and tags: the trace's own attributes. */
function traceHeader(json, spans) {
  const header = { projectId: null, requestId: null, input: [], context: [], tags: [] };
  const started = (json.events ?? []).find((event) => event.name === 'clew.trace.started');
  const attributes = [...(started?.attributes ?? [])];
  for (const span of spans.slice(0, 50)) {
    for (const attribute of span.raw.attributes) {
      if (attribute.key === 'clew.project_id' || attribute.key === 'clew.request_id') attributes.push(attribute);
    }
  }
  for (const { key, value } of attributes) {
    if (key === 'clew.project_id') header.projectId ??= value;
    else if (key === 'clew.request_id') header.requestId ??= value;
    else if (key === 'clew.tags') header.tags = Array.isArray(value) ? value : [value];
    else if (key.startsWith('clew.input.')) header.input.push([key.slice('clew.input.'.length), value]);
    else if (key.startsWith('clew.context.')) header.context.push([key.slice('clew.context.'.length), value]);
  }
  return header;
}

/** The spans shown, in order, when the spans in `collapsed` (indices) hide their subtrees. */
export function visibleRows(model, collapsed) {
  const rows = [];
  const stack = [...model.roots].reverse();
  while (stack.length > 0) {
    const index = stack.pop();
    rows.push(index);
    if (collapsed.has(index)) continue;
    const children = model.spans[index].children;
    for (let child = children.length - 1; child >= 0; child -= 1) stack.push(children[child]);
  }
  return rows;
}

/** Whether a span matches a find query (name, service, ids, attribute keys and values). */
export function spanMatches(span, needle) {
  if (!needle) return false;
  const text = needle.toLowerCase();
  if (span.name.toLowerCase().includes(text) || span.service.toLowerCase().includes(text)) return true;
  if (span.id.includes(text) || span.statusMessage.toLowerCase().includes(text)) return true;
  return span.raw.attributes.some(({ key, value }) => key.toLowerCase().includes(text)
    || String(value).toLowerCase().includes(text));
}
