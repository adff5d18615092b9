//! The sealed phone link over real sockets (issue 11): pairing with a one-time
//! code, sealed sends and reads of the phone's own messages, replayed and altered
//! requests refused, one phone revoked while another keeps working.

mod common;

use common::phone::{pairing_code, post_raw, SealedPhone};
use common::{TestRelay, TOKEN};
use saytype::client::HttpClient;
use saytype::protocol::sealed::{b64, PairRequest};
use saytype::sealed::{phone_hello, CodeKeys};
use serde_json::{json, Value};

fn code_of(r: &saytype::client::HttpResponse) -> String {
    let v: Value = serde_json::from_slice(&r.body).expect("json error");
    v["error"]["code"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_code_pairs_one_phone_once_and_a_forged_proof_does_not_spoil_it() {
    let relay = TestRelay::start().await;
    let url = relay.http_url();
    let code = pairing_code(&url).await;

    // Someone who saw the code id but not the code: refused, the code stays good.
    let wrong = CodeKeys::derive("not-the-code");
    let hello = phone_hello(&wrong, &[5; 32]);
    let forged = PairRequest {
        v: 1,
        code_id: b64(&CodeKeys::derive(&code).id),
        phone_pub: b64(&hello.phone_pub),
        proof: b64(&hello.proof),
    };
    let r = post_raw(
        &url,
        "/phone/v1/pair",
        serde_json::to_vec(&forged).expect("json"),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), code_of(&r).as_str()),
        (401, "SEAL_INVALID")
    );

    let phone = SealedPhone::pair(&url, &code).await.expect("pairs");
    assert_eq!(phone.id.len(), 16);
    // One phone per code.
    let again = SealedPhone::pair(&url, &code).await.err().expect("refused");
    assert_eq!(
        (again.status.as_u16(), code_of(&again).as_str()),
        (401, "PAIRING_CODE_UNKNOWN")
    );
    let never = SealedPhone::pair(&url, "made-up")
        .await
        .err()
        .expect("refused");
    assert_eq!(code_of(&never), "PAIRING_CODE_UNKNOWN");
    // Garbage is an envelope error, not a crash.
    let r = post_raw(&url, "/phone/v1/pair", b"{\"v\":1}".to_vec()).await;
    assert_eq!(
        (r.status.as_u16(), code_of(&r).as_str()),
        (400, "INVALID_ENVELOPE")
    );
}

#[tokio::test]
async fn sealed_calls_are_refused_when_replayed_or_altered_and_phones_read_only_their_own() {
    let relay = TestRelay::start().await;
    let url = relay.http_url();
    let mut a = SealedPhone::pair(&url, &pairing_code(&url).await)
        .await
        .expect("a");
    let mut b = SealedPhone::pair(&url, &pairing_code(&url).await)
        .await
        .expect("b");

    let (counter, env) = a.envelope(
        "POST",
        "/transcription",
        Some(json!({"text": "secret words", "id": "s-1"})),
    );
    let sent = post_raw(&url, "/phone/v1/sealed", env.clone()).await;
    assert!(
        !String::from_utf8_lossy(&sent.body).contains("s-1"),
        "the answer is sealed"
    );
    let reply = a.open(counter, &sent);
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["id"], "s-1");
    assert_eq!(reply.body["status"], "queued");

    // The same envelope again: refused, nothing stored twice.
    let replayed = post_raw(&url, "/phone/v1/sealed", env.clone()).await;
    assert_eq!(
        (replayed.status.as_u16(), code_of(&replayed).as_str()),
        (409, "REPLAYED")
    );
    // Altered in flight: one character of the box, or the counter.
    let mut v: Value = serde_json::from_slice(&env).expect("json");
    let boxed = v["box"].as_str().expect("box").to_owned();
    let flipped = if boxed.starts_with('A') { "B" } else { "A" };
    v["box"] = json!(format!("{flipped}{}", &boxed[1..]));
    let r = post_raw(
        &url,
        "/phone/v1/sealed",
        serde_json::to_vec(&v).expect("json"),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), code_of(&r).as_str()),
        (400, "SEAL_INVALID")
    );
    let mut v: Value = serde_json::from_slice(&env).expect("json");
    v["ctr"] = json!(counter + 100);
    let r = post_raw(
        &url,
        "/phone/v1/sealed",
        serde_json::to_vec(&v).expect("json"),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), code_of(&r).as_str()),
        (400, "SEAL_INVALID")
    );
    // The altered attempts did not move the window: the next real call works.
    assert_eq!(a.call("GET", "/transcription/s-1", None).await.status, 200);

    // Each phone reads its own messages only; the desktop's routes are not theirs.
    let other = b.call("GET", "/transcription/s-1", None).await;
    assert_eq!(
        (other.status, other.body["error"]["code"].clone()),
        (404, json!("NOT_FOUND"))
    );
    assert_eq!(b.call("GET", "/devices", None).await.status, 200);
    for (method, path) in [
        ("POST", "/token/rotate"),
        ("GET", "/ui/api/history"),
        ("GET", "/ws"),
    ] {
        assert_eq!(
            a.call(method, path, None).await.status,
            404,
            "{method} {path}"
        );
    }
    // The longest text the protocol allows, in the widest characters, fits in a
    // sealed body (base64 adds a third) under the relay's 64 KiB body limit.
    let longest = "🎤".repeat(10_000);
    let big = a
        .call(
            "POST",
            "/transcription",
            Some(json!({"text": longest, "id": "big-1"})),
        )
        .await;
    assert_eq!(big.status, 200, "{:?}", big.body);
    // A bad text inside the box gets the bearer API's own error code, sealed.
    let bad = a
        .call("POST", "/transcription", Some(json!({"text": "  "})))
        .await;
    assert_eq!(
        (bad.status, bad.body["error"]["code"].clone()),
        (400, json!("INVALID_TEXT"))
    );

    // The store has each message once.
    let mut c = HttpClient::connect(&url).await.expect("connect");
    let history = c
        .get("/ui/api/history", Some(TOKEN))
        .await
        .expect("history")
        .json()
        .expect("json");
    assert_eq!(history.as_array().map(Vec::len), Some(2), "{history}");
}

#[tokio::test]
async fn revoking_one_phone_leaves_the_other_working_and_survives_a_restart() {
    let relay = TestRelay::start().await;
    let url = relay.http_url();
    let mut a = SealedPhone::pair(&url, &pairing_code(&url).await)
        .await
        .expect("a");
    let mut b = SealedPhone::pair(&url, &pairing_code(&url).await)
        .await
        .expect("b");
    let mut c = HttpClient::connect(&url).await.expect("connect");
    let list = c
        .get("/ui/api/phones", Some(TOKEN))
        .await
        .expect("list")
        .json()
        .expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");

    let renamed = c
        .request(
            hyper::Method::PATCH,
            &format!("/ui/api/phones/{}", b.id),
            Some(TOKEN),
            Some(br#"{"name":"Work phone"}"#.to_vec()),
        )
        .await
        .expect("rename");
    assert_eq!(renamed.status, 200);
    let r = c
        .request(
            hyper::Method::DELETE,
            &format!("/ui/api/phones/{}", a.id),
            Some(TOKEN),
            None,
        )
        .await
        .expect("revoke");
    assert_eq!(r.status, 200);
    let list = r.json().expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(
        (&list[0]["id"], &list[0]["name"]),
        (&json!(b.id), &json!("Work phone"))
    );

    let (_, env) = a.envelope(
        "POST",
        "/transcription",
        Some(json!({"text": "after revoke"})),
    );
    let refused = post_raw(&url, "/phone/v1/sealed", env).await;
    assert_eq!(
        (refused.status.as_u16(), code_of(&refused).as_str()),
        (401, "NOT_PAIRED")
    );
    assert!(String::from_utf8_lossy(&refused.body).contains("not paired with desk (any more)"));
    let ok = b
        .call(
            "POST",
            "/transcription",
            Some(json!({"text": "still here"})),
        )
        .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);

    // A phone can unpair itself ("Unpair this phone"), and nothing else of the list.
    let mut c2 = SealedPhone::pair(&url, &pairing_code(&url).await)
        .await
        .expect("c");
    assert_eq!(c2.call("DELETE", "/phone", None).await.status, 200);
    let (_, env) = c2.envelope("GET", "/devices", None);
    assert_eq!(
        code_of(&post_raw(&url, "/phone/v1/sealed", env).await),
        "NOT_PAIRED"
    );

    // Restart on the same data: b's key and counter are kept, a stays revoked.
    let dir = relay.stop().await;
    let relay = TestRelay::on_dir(dir, common::Options::default()).await;
    b.url = relay.http_url();
    a.url = relay.http_url();
    assert_eq!(b.call("GET", "/devices", None).await.status, 200);
    let (_, env) = a.envelope("GET", "/devices", None);
    let refused = post_raw(&a.url, "/phone/v1/sealed", env).await;
    assert_eq!(code_of(&refused), "NOT_PAIRED");
    // An old request of b's, sent after the restart: still refused.
    b.counter -= 1;
    let (_, env) = b.envelope("GET", "/devices", None);
    let replayed = post_raw(&b.url, "/phone/v1/sealed", env).await;
    assert_eq!(code_of(&replayed), "REPLAYED");
}

#[tokio::test]
async fn calls_overtaken_by_later_ones_far_apart_in_counter_are_each_accepted_once() {
    let relay = TestRelay::start().await;
    let url = relay.http_url();
    let mut p = SealedPhone::pair(&url, &pairing_code(&url).await)
        .await
        .expect("pair");
    // The page's counters follow the clock in µs: calls milliseconds apart are
    // thousands of counters apart.
    p.counter = 1_764_650_000_000_000;
    let mut envelopes = Vec::new();
    for i in 0..20 {
        let (ctr, env) = p.envelope("GET", "/devices", None);
        envelopes.push((ctr, env));
        p.counter += 250_000 + i;
    }
    // The last first, then the rest all at once: every one arrives after a later one.
    let (last_ctr, last) = envelopes.pop().expect("last");
    let r = post_raw(&url, "/phone/v1/sealed", last.clone()).await;
    assert_eq!(p.open(last_ctr, &r).status, 200);
    let mut calls = tokio::task::JoinSet::new();
    for (ctr, env) in envelopes.iter().rev().cloned() {
        let url = url.clone();
        calls.spawn(async move { (ctr, post_raw(&url, "/phone/v1/sealed", env).await) });
    }
    while let Some(done) = calls.join_next().await {
        let (ctr, r) = done.expect("call");
        assert_eq!(
            r.status.as_u16(),
            200,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(p.open(ctr, &r).status, 200);
    }
    envelopes.push((last_ctr, last));
    // Each one again: refused, before and after a restart.
    for (_, env) in &envelopes {
        assert_eq!(
            code_of(&post_raw(&url, "/phone/v1/sealed", env.clone()).await),
            "REPLAYED"
        );
    }
    let dir = relay.stop().await;
    let relay = TestRelay::on_dir(dir, common::Options::default()).await;
    p.url = relay.http_url();
    for (_, env) in &envelopes {
        assert_eq!(
            code_of(&post_raw(&p.url, "/phone/v1/sealed", env.clone()).await),
            "REPLAYED"
        );
    }
    assert_eq!(p.call("GET", "/devices", None).await.status, 200);
}
