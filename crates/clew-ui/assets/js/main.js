// The router. Every page lives in the URL's fragment, so a link carries its state:
//   #/search?service=checkout&errors=true&range=1h   a search
//   #/trace/<trace id>?span=<span id>&view=flame      a trace, a selected span, a view
//   #/compare?a=<trace id>&b=<trace id>               two traces side by side
//   #/map?range=1h                                    the service map
//   #/operations?service=checkout&range=1h            rate, errors and latency per operation
//   #/errors?service=payments&range=1h                error spans grouped by message
import { h, replace, notice } from './dom.js';
import { currentRoute } from './route.js';
import { failure } from './states.js';
import { renderSearch } from './search.js';
import { renderTrace } from './trace.js';
import { renderCompare } from './compare.js';
import { renderServiceMap } from './servicemap.js';
import { renderOperations } from './operations.js';
import { renderErrors } from './errors.js';
import { services } from './api.js';
import { knowServices } from './format.js';

const app = document.getElementById('app');
let cleanup = null;

const pages = {
  search: renderSearch,
  trace: renderTrace,
  compare: renderCompare,
  map: renderServiceMap,
  operations: renderOperations,
  errors: renderErrors,
};

// The services, for their colors; a page that cannot have them still renders.
const servicesKnown = services().then(knowServices, () => {});

async function route() {
  await servicesKnown;
  if (cleanup) cleanup();
  cleanup = null;
  const { page, rest, params } = currentRoute();
  for (const link of document.querySelectorAll('.topbar nav a')) {
    link.toggleAttribute('aria-current', link.dataset.page === page);
  }
  const render = pages[page];
  if (!render) {
    replace(app, notice('error', `There is no page “${page}”.`, h('p', {}, h('a', { href: '#/search' }, 'Search traces'))));
    return;
  }
  const view = h('div', { class: `page page-${page}` });
  replace(app, view);
  try {
    cleanup = (await render(view, { rest, params })) ?? null;
  } catch (error) {
    replace(view, failure(error));
  }
}

window.addEventListener('hashchange', route);
route();
