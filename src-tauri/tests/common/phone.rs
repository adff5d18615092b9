//! A phone on the sealed link, built from the crate's own `sealed` functions: it
//! pairs from a code, makes sealed calls, and hands out its raw envelopes so tests
//! can replay or alter them.

use saytype::client::{HttpClient, HttpResponse};
use saytype::protocol::sealed::{
    b64, b64_array, b64_vec, PairRequest, PairResponse, SealedCall, SealedReply, SealedRequest,
    SealedResponse,
};
use saytype::sealed::{self, CodeKeys, DirectionKeys, PairAnswer};
use serde_json::Value;

pub struct SealedPhone {
    pub url: String,
    pub id: String,
    pub keys: DirectionKeys,
    pub counter: u64,
}

/// A new pairing code from the relay (desktop token, loopback).
pub async fn pairing_code(url: &str) -> String {
    let mut c = HttpClient::connect(url).await.expect("connect");
    let r = c
        .request(
            hyper::Method::POST,
            "/pairing/code",
            Some(super::TOKEN),
            None,
        )
        .await
        .expect("code");
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.json().expect("json")["code"]
        .as_str()
        .expect("code")
        .to_owned()
}

/// POST a JSON body as bytes (which may be altered) without a token.
pub async fn post_raw(url: &str, path: &str, body: Vec<u8>) -> HttpResponse {
    let mut c = HttpClient::connect(url).await.expect("connect");
    c.request(hyper::Method::POST, path, None, Some(body))
        .await
        .expect("post")
}

impl SealedPhone {
    /// Pair with `code`; the raw answer when the relay refuses.
    pub async fn pair(url: &str, code: &str) -> Result<SealedPhone, HttpResponse> {
        let keys = CodeKeys::derive(code);
        let secret = sealed::random::<32>().expect("random");
        let hello = sealed::phone_hello(&keys, &secret);
        let req = PairRequest {
            v: 1,
            code_id: b64(&hello.code_id),
            phone_pub: b64(&hello.phone_pub),
            proof: b64(&hello.proof),
        };
        let r = post_raw(
            url,
            "/phone/v1/pair",
            serde_json::to_vec(&req).expect("json"),
        )
        .await;
        if r.status != 200 {
            return Err(r);
        }
        let answer: PairResponse = serde_json::from_slice(&r.body).expect("pair answer");
        let parsed = PairAnswer {
            relay_pub: b64_array(&answer.relay_pub).expect("pub"),
            proof: b64_array(&answer.proof).expect("proof"),
            confirm: b64_array(&answer.confirm).expect("confirm"),
        };
        let key = sealed::phone_finish(&keys, &secret, &parsed, &answer.phone_id)
            .expect("the relay proves the code and the key");
        Ok(SealedPhone {
            url: url.to_owned(),
            id: answer.phone_id,
            keys: DirectionKeys::derive(&key),
            counter: 0,
        })
    }

    /// The envelope of the next call (counter taken).
    pub fn envelope(&mut self, method: &str, path: &str, body: Option<Value>) -> (u64, Vec<u8>) {
        self.counter += 1;
        let call = SealedCall {
            method: method.into(),
            path: path.into(),
            body,
        };
        let nonce = sealed::random::<{ sealed::NONCE_LEN }>().expect("random");
        let plain = serde_json::to_vec(&call).expect("json");
        let boxed =
            sealed::seal_request(&self.keys.request, &self.id, self.counter, &nonce, &plain);
        let env = SealedRequest {
            v: 1,
            phone: self.id.clone(),
            ctr: self.counter,
            nonce: b64(&nonce),
            sealed: b64(&boxed),
        };
        (self.counter, serde_json::to_vec(&env).expect("json"))
    }

    /// Open the relay's sealed answer to the request with `counter`.
    pub fn open(&self, counter: u64, r: &HttpResponse) -> SealedReply {
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let env: SealedResponse = serde_json::from_slice(&r.body).expect("sealed answer");
        let nonce = b64_array(&env.nonce).expect("nonce");
        let boxed = b64_vec(&env.sealed).expect("box");
        let plain = sealed::open_response(&self.keys.response, &self.id, counter, &nonce, &boxed)
            .expect("the answer opens, bound to our counter");
        serde_json::from_slice(&plain).expect("reply")
    }

    /// One sealed call: the inner status and body.
    pub async fn call(&mut self, method: &str, path: &str, body: Option<Value>) -> SealedReply {
        let (counter, env) = self.envelope(method, path, body);
        let r = post_raw(&self.url, "/phone/v1/sealed", env).await;
        self.open(counter, &r)
    }
}
