// The filter form of the operations and errors pages: a service (or all of them) and a
// time range, kept in the page's URL.
import { h } from './dom.js';
import { rangeFields, rangeFromForm } from './timerange.js';

/** A form that opens `#/<page>?service=…&range=…` with what was chosen. */
export function serviceRangeForm(page, params, services, label) {
  const form = h('form', { class: 'search-form filter-form', 'aria-label': label, onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next = new URLSearchParams();
    if (data.get('service')) next.set('service', String(data.get('service')));
    rangeFromForm(data, next);
    location.hash = `#/${page}?${next}`;
  } },
  h('label', {}, 'Service', h('select', { name: 'service' },
    h('option', { value: '' }, 'all services'),
    services.map((service) => h('option', { value: service, selected: service === params.get('service') }, service)))),
  rangeFields(params),
  h('button', { type: 'submit', class: 'primary' }, 'Show'));
  return form;
}
