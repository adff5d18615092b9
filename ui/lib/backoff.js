// Growing waits between attempts. Pure (`random` can be given).

/**
 * A wait that starts at `min`, is multiplied by `factor` after each use up to `max`,
 * and is spread by ±`jitter` (a fraction) so that many clients do not retry in step.
 */
export function backoff({ min, max, factor = 2, jitter = 0, random = Math.random }) {
  let delay = min;
  let attempts = 0;
  return {
    /** Failed attempts since the last reset. */
    get attempts() {
      return attempts;
    },
    /** The wait now, without jitter. */
    get delay() {
      return delay;
    },
    /** The next wait (with jitter); the one after is longer. */
    next() {
      const wait = delay * (1 - jitter + random() * 2 * jitter);
      this.grow();
      return wait;
    },
    /** Longer next time, without waiting now. */
    grow() {
      delay = Math.min(delay * factor, max);
      attempts += 1;
    },
    /** Success: start from `min` again. */
    reset() {
      delay = min;
      attempts = 0;
    },
  };
}

export const sleep = (ms) => new Promise((resolve) => {
  setTimeout(resolve, ms);
});
