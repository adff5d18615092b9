// The asset tables (src-tauri/src/relay/assets.rs) against the pages' files: every
// module a page imports is served, at the URL where the browser looks for it, with
// the same file that node finds on disk (so the unit tests test what is served).

import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const ui = path.join(repo, 'ui');

/** url → file (relative to the repo) of one table of assets.rs, below `prefix`. */
function table(source, name, prefix) {
  const start = source.indexOf(`const ${name}: &[Asset] = &[`);
  assert.ok(start >= 0, `table ${name}`);
  const body = source.slice(start, source.indexOf('\n];', start));
  const routes = new Map();
  for (const [, url] of body.matchAll(/module!\("([^"]*)"\)/g)) routes.set(prefix + url, `ui${url}`);
  for (const [, url, file] of body.matchAll(/asset!\(\s*"([^"]*)",[^;]*?"([^"]+)"\s*,?\s*\)/g)) routes.set(prefix + url, file);
  return routes;
}

async function pages() {
  const source = await readFile(path.join(repo, 'src-tauri/src/relay/assets.rs'), 'utf8');
  return {
    phone: new Map([...table(source, 'PHONE', ''), ...table(source, 'SHARED', '')]),
    desktop: new Map([...table(source, 'DESKTOP', '/ui'), ...table(source, 'SHARED', '/ui')]),
  };
}

const importsOf = (code) => [...code.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]);

/** Every script a page loads, from its HTML through its imports: URL → file. */
async function loaded(routes, pageUrl) {
  const html = await readFile(path.join(repo, routes.get(pageUrl)), 'utf8');
  // Modules, and classic scripts (boot.js), which import nothing.
  const entries = [...html.matchAll(/<script(?: type="module")? src="([^"]+)"><\/script>/g)].map((m) => m[1]);
  assert.ok(entries.length, `${pageUrl} loads a module`);
  const seen = new Map();
  const queue = entries.map((src) => new URL(src, `http://relay${pageUrl}`).pathname);
  while (queue.length) {
    const url = queue.shift();
    if (seen.has(url)) continue;
    const file = routes.get(url);
    assert.ok(file, `${url} is served for ${pageUrl}`);
    seen.set(url, file);
    for (const spec of importsOf(await readFile(path.join(repo, file), 'utf8'))) {
      assert.ok(spec.startsWith('.'), `${file} imports ${spec} relatively (so node finds it too)`);
      const next = new URL(spec, `http://relay${url}`).pathname;
      const onDisk = path.relative(repo, path.resolve(path.dirname(path.join(repo, file)), spec));
      assert.equal(routes.get(next), onDisk, `${file}: ${spec} is ${onDisk} in the browser too`);
      queue.push(next);
    }
  }
  return seen;
}

async function scripts(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.js')) found.push(path.relative(repo, path.join(entry.parentPath ?? entry.path, entry.name)));
  }
  return found.sort();
}

test('each page loads all its modules from its own routes, and every module is used', async () => {
  const { phone, desktop } = await pages();
  const phoneFiles = new Set((await loaded(phone, '/')).values());
  const desktopFiles = new Set((await loaded(desktop, '/ui')).values());
  for (const file of await scripts(ui)) {
    assert.ok(phoneFiles.has(file) || desktopFiles.has(file), `${file} is loaded by a page`);
    if (file.startsWith('ui/phone/')) assert.ok(!desktopFiles.has(file), `${file}: the phone's own`);
    if (file.startsWith('ui/desktop/')) assert.ok(!phoneFiles.has(file), `${file}: the window's own`);
  }
  // Nothing served that no page loads (the shared modules are served to both).
  for (const [routes, used] of [[phone, phoneFiles], [desktop, desktopFiles]]) {
    for (const file of routes.values()) {
      if (!file.endsWith('.js')) continue;
      const shared = file.startsWith('ui/lib/') && (phoneFiles.has(file) || desktopFiles.has(file));
      assert.ok(used.has(file) || shared, `${file} is served and loaded`);
    }
  }
});

test('pure modules touch no DOM when imported (node imports them)', async () => {
  for (const file of await scripts(ui)) {
    const code = (await readFile(path.join(repo, file), 'utf8')).replace(/^\s*(\/\/|\/?\*).*$/gm, '');
    if (/-view\.js$|\/(outbox|text)\.js$|^ui\/lib\/(api|backoff|coalesce|excerpt|sse|time|token)\.js$/.test(file)) {
      assert.doesNotMatch(code, /\bdocument\b|\bwindow\b/, `${file} is pure`);
      await import(path.join(repo, file));
    }
  }
});
