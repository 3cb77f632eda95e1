// clew's own /api/v1, and the two ways a call fails: the server cannot be reached, or it
// answered with an error.
import { millisToNanos } from './format.js';

/** Why a call failed; `unreachable` is true when no answer came back at all. */
export class ApiError extends Error {
  constructor(message, { status = 0, unreachable = false } = {}) {
    super(message);
    this.status = status;
    this.unreachable = unreachable;
  }
}

async function getJson(path) {
  let response;
  try {
    response = await fetch(path, { headers: { accept: 'application/json' } });
  } catch (error) {
    throw new ApiError(`the clew server at ${location.host} cannot be reached (${error.message})`, { unreachable: true });
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    throw new ApiError(body?.error ?? `${path} answered ${response.status}`, { status: response.status });
  }
  return body;
}

const encode = encodeURIComponent;

/** Every service with stored spans. */
export async function services() {
  return (await getJson('/api/v1/services')).services;
}

/** The operations (span names and kinds) of one service. */
export async function operations(service) {
  return (await getJson(`/api/v1/services/${encode(service)}/operations`)).operations;
}

/** Trace summaries matching a search, as URLSearchParams of /api/v1/search. */
export async function search(params) {
  return (await getJson(`/api/v1/search?${params}`)).traces;
}

/** One whole trace. */
export async function trace(traceId) {
  return getJson(`/api/v1/traces/${encode(traceId)}`);
}

/** Calls between services, for traces that started between start and end (unix ms). */
export async function dependencies(startMillis, endMillis) {
  const params = new URLSearchParams({ start: millisToNanos(startMillis), end: millisToNanos(endMillis) });
  return (await getJson(`/api/v1/dependencies?${params}`)).dependencies;
}

/**
 * Rate, errors and latency percentiles of each service and operation between start and end
 * (unix ms), overall and per bucket of the range; `service` may be empty for all of them.
 */
export async function operationStats({ service, startMillis, endMillis }) {
  const params = new URLSearchParams({ start: millisToNanos(startMillis), end: millisToNanos(endMillis) });
  if (service) params.set('service', service);
  return getJson(`/api/v1/operations/stats?${params}`);
}

/** Error spans between start and end (unix ms) grouped by service, operation and message, most frequent first. */
export async function errorGroups({ service, startMillis, endMillis, limit }) {
  const params = new URLSearchParams({ start: millisToNanos(startMillis), end: millisToNanos(endMillis) });
  if (service) params.set('service', service);
  if (limit) params.set('limit', String(limit));
  return (await getJson(`/api/v1/errors?${params}`)).groups;
}
