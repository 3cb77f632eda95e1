// The errors page: the error spans of a time range grouped by service, operation and
// status message, most frequent first, with when each was first and last seen, links to
// its newest traces and to the search for all of them.
import { h, replace } from './dom.js';
import * as api from './api.js';
import { ago, dateTime, nanosToMillis, serviceColor } from './format.js';
import { timeRange, rangeParams } from './timerange.js';
import { serviceRangeForm } from './filters.js';
import { failure, noData } from './states.js';

function searchLink(group, params) {
  const search = new URLSearchParams({ service: group.service, operation: group.operation, errors: 'true' });
  for (const [name, value] of rangeParams(params)) search.set(name, value);
  return h('a', { class: 'search-link', href: `#/search?${search}` }, 'Search all');
}

function seen(millis) {
  return h('span', { title: dateTime(millis) }, ago(millis));
}

function errorsTable(groups, params) {
  const most = Math.max(...groups.map((group) => group.count));
  return h('table', { class: 'data-table errors-table' },
    h('thead', {}, h('tr', {},
      ['Service', 'Operation', 'Message', 'Count', 'First seen', 'Last seen', 'Newest traces', ''].map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, groups.map((group) => h('tr', { class: 'error-group', dataset: { service: group.service, operation: group.operation } },
      h('td', { class: 'col-service' }, h('span', { class: 'chip', style: `background:${serviceColor(group.service)}` }), group.service),
      h('td', { class: 'col-operation' }, h('a', {
        href: `#/operations?${new URLSearchParams([['service', group.service], ...rangeParams(params)])}`, title: `Rate, errors and latency of ${group.service}'s operations`,
      }, group.operation)),
      h('td', { class: 'col-message' }, group.message
        ? h('span', { class: 'error-message' }, group.message)
        : h('span', { class: 'muted' }, 'no message')),
      h('td', { class: 'col-count' },
        h('span', { class: 'count-track' }, h('span', { class: 'count-fill', style: `width:${(100 * group.count / most).toFixed(1)}%` })),
        h('span', { class: 'figure error-total' }, String(group.count))),
      h('td', { class: 'col-first' }, seen(nanosToMillis(group.firstTimeUnixNano))),
      h('td', { class: 'col-last' }, seen(nanosToMillis(group.lastTimeUnixNano))),
      h('td', { class: 'col-traces' }, group.traceIds.map((traceId) => h('a', { class: 'trace-link', href: `#/trace/${traceId}`, title: `Open trace ${traceId}` }, h('code', {}, traceId.slice(0, 8))))),
      h('td', { class: 'col-search' }, searchLink(group, params))))));
}

/** Renders `#/errors?service=…&range=…` into `view`. */
export async function renderErrors(view, { params }) {
  const services = await api.services();
  if (services.length === 0) {
    replace(view, noData());
    return;
  }
  const { start, end } = timeRange(params);
  const results = h('div', { class: 'errors-results', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  replace(view, h('div', { class: 'page-head' }, h('h1', {}, 'Errors')),
    serviceRangeForm('errors', params, services, 'Choose errors'), results);
  let groups;
  try {
    groups = await api.errorGroups({ service: params.get('service'), startMillis: start, endMillis: end, limit: params.get('limit') });
  } catch (error) {
    replace(results, failure(error));
    return;
  }
  if (groups.length === 0) {
    replace(results, h('section', { class: 'notice notice-empty', role: 'status' }, h('h2', {}, 'No errors in this time range'),
      h('p', {}, `No span ${params.get('service') ? `of ${params.get('service')} ` : ''}ended with an error status between ${dateTime(start)} and ${dateTime(end)}. Choose a longer range above to look further back.`)));
    return;
  }
  const spans = groups.reduce((sum, group) => sum + group.count, 0);
  replace(results,
    h('p', { class: 'muted errors-summary' },
      `${spans} error span${spans === 1 ? '' : 's'} in ${groups.length} group${groups.length === 1 ? '' : 's'} from ${dateTime(start)} to ${dateTime(end)}, the most frequent first. `,
      'A span is an error when its status is; its status message names the group.'),
    errorsTable(groups, params));
}
