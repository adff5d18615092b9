// Running a job once at a time. Pure.

/**
 * A function `run(key)` that runs `fn(key)` once at a time per key: calls made
 * while it runs make it run once more afterwards (bursts of events become one or
 * two requests, never a pile). Every call returns the promise of the run under way;
 * an error ends the run (and rejects that promise).
 */
export function coalesceEach(fn) {
  const runs = new Map();
  return function run(key) {
    const running = runs.get(key);
    if (running) {
      running.again = true;
      return running.done;
    }
    const job = { again: true, done: null };
    runs.set(key, job);
    job.done = (async () => {
      try {
        while (job.again) {
          job.again = false;
          await fn(key);
        }
      } finally {
        runs.delete(key);
      }
    })();
    return job.done;
  };
}

/** The same for a job without a key: `run()`. */
export function coalesce(fn) {
  const run = coalesceEach(() => fn());
  return () => run(null);
}
