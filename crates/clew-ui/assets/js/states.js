// The states every page shares: the server cannot be reached, it answered an error, or
// it holds no data yet.
import { h, notice, commands } from './dom.js';
import { reload } from './route.js';

/** The error state shared by every page. */
export function failure(error) {
  if (error?.unreachable) {
    return notice('error', 'The clew server cannot be reached',
      h('p', {}, `${error.message}. Start it with:`),
      commands('cargo run --release -- serve'),
      h('p', {}, h('button', { type: 'button', onclick: () => reload() }, 'Try again')));
  }
  return notice('error', 'Something went wrong', h('p', {}, String(error?.message ?? error)),
    h('p', {}, h('button', { type: 'button', onclick: () => reload() }, 'Try again')));
}

/** The "no data yet" state: how to send some. */
export function noData() {
  return notice('empty', 'No traces yet',
    h('p', {}, 'This server has not received any spans. Send it a demo workload (a shop of six services, with failures, slow database calls and an agent session):'),
    commands('cargo run --release -- demo'),
    h('p', {}, 'or point any OpenTelemetry SDK at ', h('code', {}, `http://${location.hostname}:4318`),
      ' (OTLP/HTTP) or ', h('code', {}, `${location.hostname}:4317`), ' (gRPC), or a Zipkin client at ',
      h('code', {}, `http://${location.hostname}:9411`), '. Then ', h('a', { href: '#/search', onclick: () => reload() }, 'search again'), '.'));
}
