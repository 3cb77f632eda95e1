// The URL's fragment as the state of a page (see main.js for the routes).

/** The current route: page name, path parts after it, and the query parameters. */
export function currentRoute() {
  const fragment = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = fragment.split('?');
  const [page = 'search', ...rest] = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page, rest, params: new URLSearchParams(query) };
}

/** Changes a parameter of the current page's URL without rendering the page again. */
export function replaceParams(params) {
  const fragment = location.hash.replace(/^#/, '').split('?')[0] || '/search';
  const query = params.toString();
  history.replaceState(null, '', `#${fragment}${query ? `?${query}` : ''}`);
}

/** Renders the current page again (for "try again" buttons). */
export function reload() {
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}
