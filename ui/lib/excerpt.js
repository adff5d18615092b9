// Names for the buttons of a list of messages. Pure (no DOM): unit-tested.
// A screen reader that hears "Copy" ten times cannot tell which message each acts
// on: every button says which one ("Copy “Meeting moved to…”").

const EXCERPT_CHARS = 40;

/** The start of a text on one line, at most `max` characters, "…" when cut. */
export function excerpt(text, max = EXCERPT_CHARS) {
  const line = String(text).replace(/\s+/g, ' ').trim();
  const chars = [...line];
  if (chars.length <= max) return line;
  return `${chars.slice(0, max - 1).join('').replace(/\s+$/, '')}…`;
}

/** "Copy “Meeting moved to…”": the button's accessible name. */
export function actionLabel(action, text) {
  return `${action} “${excerpt(text)}”`;
}
