// Durations, times and colors as the pages show them.

/** A duration given in nanoseconds (a number), with a unit a person reads at a glance. */
export function duration(nanos) {
  if (!Number.isFinite(nanos)) return '–';
  const abs = Math.abs(nanos);
  if (abs < 1e3) return `${Math.round(nanos)}ns`;
  if (abs < 1e6) return `${trim(nanos / 1e3)}µs`;
  if (abs < 1e9) return `${trim(nanos / 1e6)}ms`;
  if (abs < 60e9) return `${trim(nanos / 1e9)}s`;
  const minutes = Math.floor(abs / 60e9);
  return `${nanos < 0 ? '-' : ''}${minutes}m${Math.round((abs - minutes * 60e9) / 1e9)}s`;
}

function trim(value) {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = value.toFixed(digits);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** A duration the API gives as a decimal string of nanoseconds, or null, as a number or null. */
export function nanosOrNull(text) {
  return text === null || text === undefined ? null : Number(text);
}

/** Events per second as a rate a person reads: per second, per minute or per hour. */
export function rate(perSecond) {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0/s';
  if (perSecond >= 1) return `${trim(perSecond)}/s`;
  if (perSecond * 60 >= 1) return `${trim(perSecond * 60)}/min`;
  return `${trim(perSecond * 3600)}/h`;
}

/** A share (0 to 1) as a percentage; small non-zero shares keep a decimal. */
export function percent(share) {
  if (!Number.isFinite(share) || share <= 0) return '0%';
  if (share >= 0.1) return `${Math.round(share * 100)}%`;
  return `${trim(share * 100)}%`;
}

/** Unix nanoseconds (a decimal string) as milliseconds since the epoch (a number). */
export function nanosToMillis(text) {
  return Number(BigInt(text) / 1000000n);
}

/** Milliseconds since the epoch as the decimal string of nanoseconds the API takes. */
export function millisToNanos(millis) {
  return `${BigInt(Math.round(millis)) * 1000000n}`;
}

/** A wall-clock time with milliseconds, in the browser's time zone. */
export function clock(millis) {
  const date = new Date(millis);
  const pad = (value, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** A date and time, for headers. */
export function dateTime(millis) {
  const date = new Date(millis);
  return `${date.toLocaleDateString()} ${clock(millis)}`;
}

/** "3 min ago" style age of a time. */
export function ago(millis, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - millis) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

// Ten colors a reader tells apart, none of them red: red marks errors, and a healthy
// service must not look failed.
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#393b79',
  '#a0cbe8', '#8cd17d', '#5f6b7a'];
const known = new Map();

/** Gives the server's services (sorted by name) the palette's colors, in order. */
export function knowServices(names) {
  known.clear();
  names.forEach((name, index) => known.set(name, index));
}

/** A stable color for a service: the palette's for the first ten services the server
 *  knows, else a hue from the name's hash, away from the reds (320° to 30°). */
export function serviceColor(name) {
  const index = known.get(name);
  if (index !== undefined && index < PALETTE.length) return PALETTE[index];
  let hash = 2166136261;
  for (let position = 0; position < name.length; position += 1) {
    hash ^= name.charCodeAt(position);
    hash = Math.imul(hash, 16777619);
  }
  const hue = 30 + ((hash >>> 0) % 290);
  return `hsl(${hue} 55% 52%)`;
}

/** An attribute value as text. */
export function valueText(value) {
  if (Array.isArray(value)) return `[${value.map(valueText).join(', ')}]`;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Parses "250ms", "1.5s", "2m" or plain nanoseconds; null when it is not a duration. */
export function parseDuration(text) {
  const match = /^\s*([0-9]*\.?[0-9]+)\s*(ns|us|µs|ms|s|m|h)?\s*$/.exec(text ?? '');
  if (!match) return null;
  const scale = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[match[2] ?? 'ns'];
  return Number(match[1]) * scale;
}

/** Chooses about `count` round tick values between 0 and `span`. */
export function ticks(span, count = 5) {
  if (!(span > 0)) return [0];
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= raw) ?? raw;
  const values = [];
  for (let value = 0; value <= span + step * 1e-9; value += step) values.push(value);
  return values;
}
