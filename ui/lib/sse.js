// Server-sent events read from a fetch() body (EventSource cannot send the
// Authorization header). Only `data:` lines are used; each event's data is JSON.
// Pure: works on any reader of Uint8Array chunks.

const EVENT_END = /\r?\n\r?\n|\r\r/;

/** Parse the `data:` lines of one event block; comments (":…") and other fields are ignored. */
export function parseEvent(block) {
  const data = [];
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
  }
  if (!data.length) return null;
  try {
    return JSON.parse(data.join('\n'));
  } catch {
    return null;
  }
}

/** Split the complete event blocks (each ended by a blank line) off the front of `buffer`. */
export function takeBlocks(buffer) {
  const blocks = [];
  let rest = buffer;
  let end;
  while ((end = rest.search(EVENT_END)) >= 0) {
    blocks.push(rest.slice(0, end));
    rest = rest.slice(end).replace(/^(\r?\n\r?\n|\r\r)/, '');
  }
  return { blocks, rest };
}

/** Read a stream to its end, calling `onEvent` with each parsed event. */
export async function readEvents(reader, onEvent) {
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    const { blocks, rest } = takeBlocks(buffer);
    buffer = rest;
    for (const block of blocks) {
      const event = parseEvent(block);
      if (event) onEvent(event);
    }
  }
}
