// Times and durations in words, in the user's locale. Pure: `now` can be given.

const clock = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const clockSeconds = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit' });
const monthDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const monthDayClock = new Intl.DateTimeFormat(undefined, {
  month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit',
});
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

export function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "3:04:05 PM" today, "Nov 25, 3:04 PM" before (the window's history). */
export function shortTime(ms, now = Date.now()) {
  const d = new Date(ms);
  return sameDay(d, new Date(now)) ? clockSeconds.format(d) : monthDayClock.format(d);
}

/** "3:04 PM" today, "Nov 25, 3:04 PM" before (the phone's list). */
export function clockTime(ms, now = Date.now()) {
  const d = new Date(ms);
  const time = clock.format(d);
  return sameDay(d, new Date(now)) ? time : `${monthDay.format(d)}, ${time}`;
}

/** "Wednesday, November 25, 2026 at 3:04:05 PM" (tooltips). */
export function fullTime(ms) {
  return full.format(new Date(ms));
}

/** "just now", "5 min ago", "2 h ago", else a date. */
export function ago(ms, now = Date.now()) {
  const s = Math.max(0, (now - ms) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return shortTime(ms, now);
}

/** A duration between two steps: "4 ms", "1.2 s", "3 min", "2 h". */
export function duration(ms) {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
  if (ms < 3600000) return `${Math.round(ms / 60000)} min`;
  return `${Math.round(ms / 3600000)} h`;
}
