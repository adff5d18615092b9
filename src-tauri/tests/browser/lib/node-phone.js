// A paired phone played by node itself, with the page's own scheme (ui/lib/sealed.js):
// pairing from a one-time link and sealed calls, for tests that need a phone whose
// every call they control (a page makes calls of its own as it loads).

import {
  b64, codeKeys, directionKeys, newNonce, newSecret, openResponse, phoneFinish, phoneHello, sealRequest, unb64,
} from '../../../../ui/lib/sealed.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'User-Agent': 'Mozilla/5.0 (Linux; Android 14; Pixel 8) node test' },
    body: JSON.stringify(body),
  });
  return { status: res.status, data: await res.json().catch(() => null) };
}

/** Pair with `link` (http://HOST:PORT/#pair=CODE); makes no sealed call. */
export async function pairNodePhone(link) {
  const url = new URL(link);
  const code = url.hash.replace(/^#pair=/, '');
  const keys = codeKeys(code);
  const secret = newSecret();
  const hello = phoneHello(keys, secret);
  const { status, data } = await post(`${url.origin}/phone/v1/pair`,
    { v: 1, codeId: b64(hello.codeId), phonePub: b64(hello.phonePub), proof: b64(hello.proof) });
  if (status !== 200) throw new Error(`pairing refused: ${status} ${JSON.stringify(data)}`);
  const answer = { relayPub: unb64(data.relayPub), proof: unb64(data.proof), confirm: unb64(data.confirm) };
  const dir = directionKeys(phoneFinish(keys, secret, answer, data.phoneId));
  let counter = Date.now() * 1000;
  return {
    id: data.phoneId,
    /** One sealed call: the answer inside, {status, body}. */
    async call(method, path, body) {
      counter += 1;
      const nonce = newNonce();
      const plain = enc.encode(JSON.stringify(body === undefined ? { method, path } : { method, path, body }));
      const sent = await post(`${url.origin}/phone/v1/sealed`, {
        v: 1, phone: data.phoneId, ctr: counter, nonce: b64(nonce), box: b64(sealRequest(dir.request, data.phoneId, counter, nonce, plain)),
      });
      if (sent.status !== 200) throw new Error(`sealed call refused: ${sent.status} ${JSON.stringify(sent.data)}`);
      return JSON.parse(dec.decode(openResponse(dir.response, data.phoneId, counter, unb64(sent.data.nonce), unb64(sent.data.box))));
    },
  };
}
