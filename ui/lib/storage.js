// Web storage that may be missing or full (private browsing, disabled storage):
// the page then still works for this visit, it only cannot remember. `area` is
// 'local' or 'session'.

const storage = (area) => (area === 'session' ? sessionStorage : localStorage);

/** A JSON value, or `fallback` when there is none or it cannot be read. */
export function loadJson(area, key, fallback) {
  try {
    const raw = storage(area).getItem(key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

/** Keep a JSON value; null or undefined removes it. */
export function saveJson(area, key, value) {
  try {
    if (value === null || value === undefined) storage(area).removeItem(key);
    else storage(area).setItem(key, JSON.stringify(value));
  } catch (err) {
    console.warn('SayType: could not save', key, err);
  }
}

/** A plain string, or '' when there is none or it cannot be read. */
export function loadText(area, key) {
  try {
    return storage(area).getItem(key) || '';
  } catch {
    return '';
  }
}

/** Keep a plain string; when storage is disabled it lasts until the page is reloaded. */
export function saveText(area, key, value) {
  try {
    storage(area).setItem(key, value);
  } catch {
    // See above.
  }
}
