// Sends one trace of `count` spans to OTLP/HTTP (JSON), in batches: a root, 100 services'
// worth of request spans under it, and steps under those, so the tree is wide and a few
// levels deep. Operation names repeat, as in a real job (a few dozen distinct names); the
// step number is an attribute. Returns the trace id and the id of the span that comes last
// in the tree.
import { randomBytes } from 'node:crypto';

const hex = (bytes) => randomBytes(bytes).toString('hex');

export async function bigTrace(otlp, count, batchSize = 5000) {
  const traceId = hex(16);
  const start = BigInt(Date.now() - 60000) * 1000000n;
  const rootId = hex(8);
  const groups = 100;
  const perGroup = Math.ceil((count - 1 - groups) / groups);
  const spans = [];
  const span = (spanId, parentSpanId, name, offsetMicros, lengthMicros, error = false, step = spans.length) => ({
    traceId, spanId, parentSpanId, name, kind: 1,
    startTimeUnixNano: String(start + BigInt(offsetMicros) * 1000n),
    endTimeUnixNano: String(start + BigInt(offsetMicros + lengthMicros) * 1000n),
    attributes: [{ key: 'step.index', value: { intValue: String(step) } }],
    status: error ? { code: 2, message: 'step failed' } : { code: 0 },
  });
  spans.push(span(rootId, '', 'big batch job', 0, 60_000_000));
  let lastSpanId = '';
  for (let group = 0; group < groups && spans.length < count; group += 1) {
    const groupId = hex(8);
    spans.push(span(groupId, rootId, `group ${group % 10}`, group * 600_000, 590_000));
    for (let step = 0; step < perGroup && spans.length < count; step += 1) {
      lastSpanId = hex(8);
      spans.push(span(lastSpanId, groupId, `step ${step % 25}`, group * 600_000 + step * 590, 500, step % 997 === 0));
    }
  }
  for (let first = 0; first < spans.length; first += batchSize) {
    const body = JSON.stringify({ resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'batch-runner' } }] },
      scopeSpans: [{ scope: { name: 'big-trace-test' }, spans: spans.slice(first, first + batchSize) }],
    }] });
    const response = await fetch(`${otlp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (!response.ok) throw new Error(`OTLP answered ${response.status}: ${await response.text()}`);
  }
  return { traceId, lastSpanId };
}
