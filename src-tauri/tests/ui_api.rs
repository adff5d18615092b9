//! The desktop window's API (`/ui/api/*`) against a real daemon in-process: relay,
//! local agent (recording only) and settings; real HTTP on loopback.

mod common;

use std::time::Duration;

use common::{eventually, RelayClient, TOKEN};
use saytype::client::HttpClient;
use saytype::daemon::Daemon;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

struct Desk {
    url: String,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
    run: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// One configuration home for the whole test binary (tests share the process
/// environment), so that "start at login" never touches the real one.
fn config_home() -> &'static std::path::Path {
    static HOME: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    HOME.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        std::env::set_var("XDG_CONFIG_HOME", dir.path());
        std::env::set_var("SAYTYPE_TOKEN", TOKEN);
        // No display: typing fails (with a reason), which the retry test relies on.
        std::env::remove_var("DISPLAY");
        std::env::remove_var("WAYLAND_DISPLAY");
        dir
    })
    .path()
}

async fn desk() -> Desk {
    desk_on("127.0.0.1").await
}

/// The desktop parts listening on `bind`.
async fn desk_on(bind: &str) -> Desk {
    config_home();
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = common::daemon::record_only_options(&dir.path().join("data"), bind);
    let shutdown = CancellationToken::new();
    let daemon = Daemon::start(opts, shutdown.clone()).await.expect("daemon");
    let url = format!("http://{}", daemon.local_addr());
    let run = tokio::spawn(daemon.run());
    let desk = Desk {
        url,
        shutdown,
        _dir: dir,
        run,
    };
    eventually("local agent online", || async {
        desk.get("/ui/api/status").await["localAgent"]["state"] == "connected"
    })
    .await;
    desk
}

impl Desk {
    async fn call(&self, method: hyper::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut c = HttpClient::connect(&self.url).await.expect("connect");
        let r = c
            .request(
                method,
                path,
                Some(TOKEN),
                body.map(|b| b.to_string().into_bytes()),
            )
            .await
            .expect("request");
        let v = if r.body.is_empty() {
            Value::Null
        } else {
            r.json().unwrap_or(Value::Null)
        };
        (r.status.as_u16(), v)
    }

    async fn get(&self, path: &str) -> Value {
        let (status, v) = self.call(hyper::Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    /// Pause or resume typing; answered once it is in force.
    async fn pause(&self, paused: bool) {
        let (status, v) = self
            .call(
                hyper::Method::POST,
                "/ui/api/pause",
                Some(json!({ "paused": paused })),
            )
            .await;
        assert_eq!(status, 200, "{v}");
    }

    /// The relay's API (`/transcription`) with the token.
    fn api(&self) -> RelayClient {
        RelayClient::new(&self.url, TOKEN)
    }

    async fn post_text(&self, text: &str, id: &str) -> Value {
        let r = self.api().post(&json!({"text": text, "id": id})).await;
        r.json().unwrap_or(Value::Null)
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.run)
            .await
            .expect("stops")
            .expect("join")
            .expect("clean");
    }
}

#[tokio::test]
async fn the_window_page_and_api_need_loopback_and_the_token() {
    let desk = desk().await;
    let mut c = HttpClient::connect(&desk.url).await.expect("connect");
    let page = c.get("/ui", None).await.expect("page");
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("SayType"));
    assert_eq!(c.get("/ui/app.js", None).await.expect("js").status, 200);
    // The API wants the token like everything else.
    let r = c.get("/ui/api/status", None).await.expect("status");
    assert_eq!(r.status, 401);
    let r = c
        .get("/ui/api/history", Some("wrong"))
        .await
        .expect("history");
    assert_eq!(r.status, 401);
    desk.stop().await;
}

#[tokio::test]
async fn status_shows_relay_agent_devices_and_phones() {
    let desk = desk().await;
    desk.post_text("hello", "s-1").await;
    let s = desk.get("/ui/api/status").await;
    assert_eq!(s["relay"]["defaultDevice"], "desk");
    assert!(s["relay"]["port"].as_u64().is_some_and(|p| p > 0));
    assert_eq!(s["tokenPresent"], true);
    assert_eq!(s["mdns"]["enabled"], false);
    assert_eq!(s["localAgent"]["deviceId"], "desk");
    assert_eq!(s["localAgent"]["paused"], false);
    assert!(s["localAgent"]["injector"]
        .as_str()
        .is_some_and(|i| i.contains("recording only")));
    assert_eq!(s["devices"][0]["deviceId"], "desk");
    assert_eq!(s["devices"][0]["online"], true);
    assert_eq!(s["phones"][0]["address"], "127.0.0.1");
    assert_eq!(s["phones"][0]["messages"], 1);
    desk.stop().await;
}

#[tokio::test]
async fn history_lists_with_text_and_filters_by_state() {
    let desk = desk().await;
    for i in 0..3 {
        desk.post_text(&format!("message {i}"), &format!("h-{i}"))
            .await;
    }
    eventually("all injected", || async {
        desk.get("/ui/api/history?status=injected")
            .await
            .as_array()
            .map_or(0, Vec::len)
            == 3
    })
    .await;
    let all = desk.get("/ui/api/history").await;
    assert_eq!(all[0]["id"], "h-2", "newest first");
    assert_eq!(all[0]["text"], "message 2");
    assert_eq!(all[0]["deviceId"], "desk");
    assert!(all[0]["injectedAt"].as_i64().is_some());
    assert_eq!(desk.get("/ui/api/history?status=failed").await, json!([]));
    let one = desk.get("/ui/api/history?id=h-1").await;
    assert_eq!(one.as_array().map(Vec::len), Some(1));
    let (status, _) = desk
        .call(hyper::Method::GET, "/ui/api/history?status=bogus", None)
        .await;
    assert_eq!(status, 400);
    desk.stop().await;
}

#[tokio::test]
async fn delete_clear_and_retry() {
    let desk = desk().await;
    // Pause typing: new messages stay queued.
    desk.pause(true).await;
    eventually("agent paused", || async {
        desk.get("/ui/api/status").await["localAgent"]["state"] == "paused"
    })
    .await;
    assert_eq!(
        desk.post_text("wait for me", "q-1").await["status"],
        "queued"
    );
    assert_eq!(desk.post_text("delete me", "q-2").await["status"], "queued");
    // Deleting a queued message takes it out of the queue too.
    let (status, _) = desk
        .call(hyper::Method::DELETE, "/ui/api/messages/q-2", None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = desk
        .call(hyper::Method::DELETE, "/ui/api/messages/q-2", None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(desk.get("/devices").await[0]["queued"], 1);
    // Resume: the remaining one is delivered (and recorded), the deleted one is not.
    desk.pause(false).await;
    assert_eq!(
        desk.api().wait_status("q-1", "injected").await["status"],
        "injected"
    );
    // Only failed messages can be retried.
    let (status, v) = desk
        .call(hyper::Method::POST, "/ui/api/messages/q-1/retry", None)
        .await;
    assert_eq!(status, 409, "{v}");
    assert_eq!(v["error"]["code"], "NOT_RETRYABLE");
    // Clearing keeps nothing that was delivered.
    let (status, v) = desk
        .call(hyper::Method::DELETE, "/ui/api/messages", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(v["removed"], 1);
    assert_eq!(desk.get("/ui/api/history").await, json!([]));
    desk.stop().await;
}

#[tokio::test]
async fn settings_are_validated_persisted_and_applied() {
    let desk = desk().await;
    let s = desk.get("/ui/api/settings").await;
    assert_eq!(s["injectMode"], "none");
    assert_eq!(s["startAtLogin"], false);
    let mut new = s.clone();
    new["port"] = 80.into();
    let (status, v) = desk
        .call(hyper::Method::PUT, "/ui/api/settings", Some(new.clone()))
        .await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], "INVALID_SETTINGS");
    new["port"] = 8123.into();
    new["startAtLogin"] = true.into();
    new["newline"] = "return".into();
    let (status, v) = desk
        .call(hyper::Method::PUT, "/ui/api/settings", Some(new))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["port"], 8123);
    assert_eq!(desk.get("/ui/api/settings").await["newline"], "return");
    // Start at login is a freedesktop autostart entry.
    let entry = config_home().join("autostart/saytype.desktop");
    assert!(std::fs::read_to_string(&entry).is_ok_and(|e| e.contains("Exec=")));
    let (status, _) = desk
        .call(
            hyper::Method::PUT,
            "/ui/api/settings",
            Some(json!({"injectMode": "bogus"})),
        )
        .await;
    assert_eq!(status, 400);
    desk.stop().await;
}

#[tokio::test]
async fn on_loopback_only_the_window_shows_no_pairing_code_and_says_why() {
    let desk = desk().await;
    let p = desk.get("/ui/api/pairing").await;
    assert_eq!(p["link"], "", "no link: {p}");
    assert_eq!(p["qrSvg"], "");
    let why = p["unreachable"].as_str().expect("a reason");
    assert!(why.contains("--bind 0.0.0.0"), "{why}");
    desk.stop().await;
}

#[tokio::test]
async fn pairing_shows_a_link_with_a_one_time_code_and_rotation_keeps_phones() {
    let desk = desk_on("0.0.0.0").await;
    let p = desk.get("/ui/api/pairing").await;
    let link = p["link"].as_str().expect("link");
    // A one-time pairing code, never the desktop token.
    let code = link
        .split_once("/#pair=")
        .map(|(_, c)| c)
        .expect("a #pair= link");
    assert!(link.starts_with("http://") && code.len() == 22, "{link}");
    assert!(!link.contains(TOKEN), "{link}");
    assert!(p["expiresAt"]
        .as_i64()
        .is_some_and(|t| t > saytype::protocol::now_ms()));
    assert!(p["qrSvg"].as_str().is_some_and(|s| s.contains("<svg")));
    // Asked again while it has a while to go: the same code (one QR code, not many).
    assert_eq!(desk.get("/ui/api/pairing").await["link"], p["link"]);
    let (status, v) = desk
        .call(hyper::Method::POST, "/ui/api/token/rotate", None)
        .await;
    assert_eq!(status, 200);
    let new = v["token"].as_str().expect("token");
    assert_ne!(new, TOKEN);
    assert!(v["pairing"]["link"]
        .as_str()
        .is_some_and(|l| l.contains("/#pair=") && !l.contains(new)));
    let (status, _) = desk.call(hyper::Method::GET, "/ui/api/status", None).await;
    assert_eq!(status, 401, "the old token no longer works");
    desk.shutdown.cancel();
    let _ = desk.run.await;
}

#[tokio::test]
async fn events_stream_live_changes() {
    let desk = desk().await;
    let (host_port, _) = saytype::client::split_http_url(&desk.url).expect("url");
    let mut stream = tokio::net::TcpStream::connect(&host_port)
        .await
        .expect("connect");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request = format!(
        "GET /ui/api/events HTTP/1.1\r\nHost: {host_port}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    tokio::time::sleep(Duration::from_millis(100)).await;
    desk.post_text("live", "ev-1").await;
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !seen.contains(r#""id":"ev-1""#) {
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buf))
            .await
            .expect("an event in time")
            .expect("read");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains("text/event-stream"), "{seen}");
    assert!(
        seen.contains(r#"data: {"type":"message","id":"ev-1"}"#),
        "{seen}"
    );
    desk.stop().await;
}

#[tokio::test]
async fn a_failed_message_is_retried_as_a_new_one() {
    let desk = desk().await;
    let mut settings = desk.get("/ui/api/settings").await;
    settings["injectMode"] = "type".into();
    desk.call(
        hyper::Method::PUT,
        "/ui/api/settings",
        Some(settings.clone()),
    )
    .await;
    desk.post_text("try me", "f-1").await;
    assert_eq!(
        desk.api().wait_status("f-1", "failed").await["status"],
        "failed"
    );
    let failed = desk.get("/ui/api/history?id=f-1").await;
    assert!(
        failed[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("no display")),
        "{failed}"
    );
    // Back to recording only, then retry: a new message with the same text.
    settings["injectMode"] = "none".into();
    desk.call(hyper::Method::PUT, "/ui/api/settings", Some(settings))
        .await;
    let (status, retried) = desk
        .call(hyper::Method::POST, "/ui/api/messages/f-1/retry", None)
        .await;
    assert_eq!(status, 200, "{retried}");
    let new_id = retried["id"].as_str().expect("id").to_owned();
    assert_ne!(new_id, "f-1");
    assert_eq!(
        desk.api().wait_status(&new_id, "injected").await["status"],
        "injected"
    );
    let again = desk.get(&format!("/ui/api/history?id={new_id}")).await;
    assert_eq!(again[0]["text"], "try me");
    // The new message takes the failed one's place: one row per text (issue 13).
    assert_eq!(
        desk.get("/ui/api/history?id=f-1").await,
        serde_json::json!([]),
        "the failed attempt was replaced"
    );
    desk.stop().await;
}

/// Issue 13: a paused desktop is listed as paused (not only offline), and a message
/// finished in record-only mode says `method: "recorded"` (its status stays
/// `injected`, the protocol's).
#[tokio::test]
async fn paused_and_recorded_are_told_apart() {
    let desk = desk().await;
    desk.post_text("only recorded", "r-1").await;
    desk.api().wait_status("r-1", "injected").await;
    let rows = desk.get("/ui/api/history?id=r-1").await;
    assert_eq!(rows[0]["status"], "injected");
    assert_eq!(rows[0]["method"], "recorded", "{rows}");
    let devices = desk.get("/devices").await;
    assert_eq!(devices[0]["recording"], true, "{devices}");
    assert!(devices[0].get("paused").is_none(), "absent when false");

    desk.pause(true).await;
    let devices = desk.get("/devices").await;
    assert_eq!(devices[0]["online"], false);
    assert_eq!(devices[0]["paused"], true, "{devices}");
    let status = desk.get("/ui/api/status").await;
    assert_eq!(status["devices"][0]["paused"], true);
    desk.stop().await;
}
