// The phone's side of the sealed link (ui/lib/sealed.js) against the vectors the
// Rust side checks too (docs/sealed-link-vectors.json), and the vendored crypto
// bundle against a rebuild from the locked packages (web/).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  SealError, b64, codeKeys, directionKeys, nextCounter, openResponse, phoneFinish, phoneHello,
  requestAad, sealRequest, sealResponse, unb64,
} from '../../../../ui/lib/sealed.js';

const repo = new URL('../../../../', import.meta.url).pathname;
const v = JSON.parse(readFileSync(join(repo, 'docs/sealed-link-vectors.json'), 'utf8'));
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const unhex = (text) => new Uint8Array(Buffer.from(text, 'hex'));
const utf8 = (text) => new TextEncoder().encode(text);

describe('sealed link vectors', () => {
  test('keys from the code, the phone hello, the key, the direction keys', () => {
    const keys = codeKeys(v.code);
    assert.equal(hex(keys.id), v.codeId);
    assert.equal(hex(keys.mac), v.codeMacKey);
    assert.equal(hex(keys.salt), v.codeSalt);
    const hello = phoneHello(keys, unhex(v.phoneSecret));
    assert.equal(hex(hello.phonePub), v.phonePub);
    assert.equal(hex(hello.proof), v.phoneProof);
    const answer = { relayPub: unhex(v.relayPub), proof: unhex(v.relayProof), confirm: unhex(v.confirm) };
    const key = phoneFinish(keys, unhex(v.phoneSecret), answer, v.phoneId);
    assert.equal(hex(key), v.phoneKey);
    const dir = directionKeys(key);
    assert.equal(hex(dir.request), v.requestKey);
    assert.equal(hex(dir.response), v.responseKey);
  });

  test('the request box, and the answer opened only with its own counter', () => {
    assert.equal(new TextDecoder().decode(requestAad(v.phoneId, v.counter)), v.requestAad);
    const box = sealRequest(unhex(v.requestKey), v.phoneId, v.counter, unhex(v.requestNonce), utf8(v.requestPlain));
    assert.equal(hex(box), v.requestBox);
    const plain = openResponse(unhex(v.responseKey), v.phoneId, v.counter, unhex(v.responseNonce), unhex(v.responseBox));
    assert.equal(new TextDecoder().decode(plain), v.responsePlain);
    assert.throws(() => openResponse(unhex(v.responseKey), v.phoneId, v.counter + 1, unhex(v.responseNonce), unhex(v.responseBox)), SealError);
    const altered = unhex(v.responseBox);
    altered[3] ^= 1;
    assert.throws(() => openResponse(unhex(v.responseKey), v.phoneId, v.counter, unhex(v.responseNonce), altered), SealError);
    const again = sealResponse(unhex(v.responseKey), v.phoneId, v.counter, unhex(v.responseNonce), utf8(v.responsePlain));
    assert.equal(hex(again), v.responseBox);
  });

  test('a relay that does not know the code, or another phone id: refused', () => {
    const keys = codeKeys(v.code);
    const answer = { relayPub: unhex(v.relayPub), proof: unhex(v.relayProof), confirm: unhex(v.confirm) };
    assert.throws(() => phoneFinish(codeKeys('other'), unhex(v.phoneSecret), answer, v.phoneId), SealError);
    assert.throws(() => phoneFinish(keys, unhex(v.phoneSecret), answer, 'another-id'), SealError);
    assert.throws(() => phoneFinish(keys, unhex(v.phoneSecret), { ...answer, relayPub: new Uint8Array(32) }, v.phoneId), SealError);
  });

  test('base64url and counters', () => {
    assert.equal(b64(new Uint8Array([251, 255])), '-_8');
    assert.deepEqual(unb64('-_8'), new Uint8Array([251, 255]));
    assert.equal(unb64('a+b'), null);
    assert.equal(nextCounter(5, 0), 6);
    assert.equal(nextCounter(null, 2), 2000);
    assert.equal(nextCounter(null, 2, 999), 2999);
    assert.equal(nextCounter(2999, 2, 5), 3000);
    assert.equal(nextCounter(10_000, 2), 10_001);
    assert.ok(Number.isSafeInteger(nextCounter(0, Date.now())));
  });
});

describe('the vendored crypto bundle', () => {
  // The binary embeds ui/lib/vendor/noble.js as committed; this rebuilds it from
  // web/package-lock.json and insists on the same bytes. npm ci needs the registry
  // (or npm's cache) once.
  test('rebuilds byte for byte from the lockfile', { timeout: 120_000 }, () => {
    const work = mkdtempSync(join(tmpdir(), 'saytype-web-'));
    try {
      // The same layout as the repository: web/ builds into ../ui/lib/vendor/.
      const web = join(work, 'web');
      for (const f of ['package.json', 'package-lock.json', 'noble.entry.js']) cpSync(join(repo, 'web', f), join(web, f));
      execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: web, stdio: 'pipe' });
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: web, stdio: 'pipe' });
      const out = join(work, 'ui/lib/vendor/noble.js');
      assert.ok(existsSync(out));
      assert.equal(readFileSync(out, 'utf8'), readFileSync(join(repo, 'ui/lib/vendor/noble.js'), 'utf8'), 'run scripts/build-ui.sh and commit ui/lib/vendor/noble.js');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
