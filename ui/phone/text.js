// The text of a message before it is sent. Pure (no DOM): unit-tested.

export const MAX_CHARS = 10000; // the relay refuses longer texts (counted in characters)
const COUNTER_FROM = 9000; // show the counter only when it matters

/**
 * The relay refuses control characters other than tab and newline; pasted text can
 * carry some, and a refusal would lose the user's words, so drop them here.
 */
export function cleanText(raw) {
  return raw.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/** The relay counts characters (code points), not UTF-16 units: an emoji is one. */
export function countChars(text) {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

/** Whether this (cleaned) text can be sent: not blank, not too long. */
export function sendable(text) {
  return text.trim().length > 0 && countChars(text) <= MAX_CHARS;
}

/** The counter under the box: { text, over }, or null while far from the limit. */
export function counter(text) {
  const n = countChars(text);
  if (n < COUNTER_FROM) return null;
  const over = n - MAX_CHARS;
  return {
    over: over > 0,
    text: over > 0
      ? `${n.toLocaleString()} / ${MAX_CHARS.toLocaleString()}: ${over.toLocaleString()} too many. Send it in two parts.`
      : `${n.toLocaleString()} / ${MAX_CHARS.toLocaleString()} characters`,
  };
}

/**
 * Writes to the text box wait while the keyboard composes (iOS dictation, Gboard's
 * underlined word): a page that sets the box's value then makes iOS type the
 * dictated words twice and Gboard bring back words. `run(write)` writes now, or
 * when the composition ends (in order); the page calls `start()` and `end()` on
 * compositionstart and compositionend.
 */
export function compositionGate() {
  let composing = false;
  const waiting = [];
  return {
    get composing() {
      return composing;
    },
    get waiting() {
      return waiting.length;
    },
    start() {
      composing = true;
    },
    end() {
      composing = false;
      while (waiting.length && !composing) waiting.shift()();
    },
    run(write) {
      if (composing) waiting.push(write);
      else write();
    },
  };
}

/** A sent text put back in the box: appended on a new line, never replacing what is there. */
export function appendText(current, text) {
  return current.trim() ? `${current.replace(/\s+$/, '')}\n${text}` : text;
}
