//! Issue 13: the desktop notification for held messages, on a private D-Bus
//! session bus with python-dbusmock's notification service, against a real
//! daemon (relay and local agent, recording only). The test invokes the
//! notification's actions as a notification service would (its `ActionInvoked`
//! signal) and checks what became of the held messages, and what Copy put on the
//! clipboard of a real X display (Xvfb).

mod common;

use std::process::Command;
use std::time::Duration;

use common::session_bus::{SessionBus, Spawned};
use common::{eventually, RelayClient, TOKEN};
use saytype::client::HttpClient;
use saytype::daemon::Daemon;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use zbus::zvariant::{OwnedValue, Value as ZValue};

const MOCK: &str = "org.freedesktop.DBus.Mock";
const PATH: &str = "/org/freedesktop/Notifications";

/// The notification service's `Notify` calls so far: (replaces id, summary, actions).
async fn notify_calls(mock: &zbus::Proxy<'_>) -> Vec<(u32, String, Vec<String>)> {
    let calls: Vec<(u64, String, Vec<OwnedValue>)> =
        mock.call("GetCalls", &()).await.expect("GetCalls");
    calls
        .into_iter()
        .filter(|(_, name, _)| name == "Notify")
        .filter_map(|(_, _, args)| {
            let replaces = u32::try_from(args.get(1)?).ok()?;
            let summary = String::try_from(args.get(3)?.try_clone().ok()?).ok()?;
            let actions = Vec::<String>::try_from(args.get(5)?.try_clone().ok()?).ok()?;
            Some((replaces, summary, actions))
        })
        .collect()
}

async fn invoke(mock: &zbus::Proxy<'_>, id: u32, action: &str) {
    let args: Vec<ZValue<'_>> = vec![ZValue::U32(id), ZValue::from(action)];
    mock.call_method(
        "EmitSignal",
        &("org.freedesktop.Notifications", "ActionInvoked", "us", args),
    )
    .await
    .expect("EmitSignal");
}

async fn ui_post(url: &str, path: &str, body: Value) -> u16 {
    let mut c = HttpClient::connect(url).await.expect("connect");
    let r = c
        .request(
            hyper::Method::POST,
            path,
            Some(TOKEN),
            Some(body.to_string().into_bytes()),
        )
        .await
        .expect("request");
    r.status.as_u16()
}

async fn agent_state(url: &str) -> Value {
    RelayClient::new(url, TOKEN)
        .get("/ui/api/status")
        .await
        .json()
        .expect("json")["localAgent"]["state"]
        .clone()
}

/// Pause the local agent, send `texts`, resume: they waited, so they are held.
async fn send_while_away(url: &str, texts: &[&str]) {
    assert_eq!(
        ui_post(url, "/ui/api/pause", json!({"paused": true})).await,
        200
    );
    eventually("agent paused", || async {
        agent_state(url).await == "paused"
    })
    .await;
    let api = RelayClient::new(url, TOKEN);
    for t in texts {
        let v: Value = api
            .post(&json!({"text": t, "id": t}))
            .await
            .json()
            .expect("json");
        assert_eq!(v["status"], "queued", "{v}");
    }
    assert_eq!(
        ui_post(url, "/ui/api/pause", json!({"paused": false})).await,
        200
    );
    for t in texts {
        eventually("held", || async { api.status(t).await["held"] == true }).await;
    }
}

#[tokio::test]
async fn the_notification_types_or_discards_the_held_messages() {
    let bus = SessionBus::start();
    let _service = Spawned(
        Command::new("/usr/bin/python3")
            .args(["-m", "dbusmock", "--template", "notification_daemon"])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("python3-dbusmock (scripts/setup.sh)"),
    );
    // The daemon's notifier finds the bus as any desktop app does.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    std::env::set_var("SAYTYPE_TOKEN", TOKEN);
    // A real X display for the notification's Copy (the agent only records).
    let display = common::desktop::XDisplay::start();
    match &display {
        Some(d) => std::env::set_var("DISPLAY", &d.name),
        None => std::env::remove_var("DISPLAY"),
    }
    std::env::remove_var("WAYLAND_DISPLAY");
    let conn = zbus::connection::Builder::address(bus.address.as_str())
        .expect("address")
        .build()
        .await
        .expect("bus");
    eventually("notification service up", || async {
        zbus::fdo::DBusProxy::new(&conn)
            .await
            .expect("dbus")
            .name_has_owner("org.freedesktop.Notifications".try_into().expect("name"))
            .await
            .unwrap_or(false)
    })
    .await;
    let mock = zbus::Proxy::new(&conn, "org.freedesktop.Notifications", PATH, MOCK)
        .await
        .expect("mock");

    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = common::daemon::record_only_options(&dir.path().join("data"), "127.0.0.1");
    // Every message that had to wait is held: no test waits for a clock.
    opts.hold_after = Some(Duration::ZERO);
    let shutdown = CancellationToken::new();
    let daemon = Daemon::start(opts, shutdown.clone()).await.expect("daemon");
    let url = format!("http://{}", daemon.local_addr());
    let run = tokio::spawn(daemon.run());
    eventually("agent connected", || async {
        agent_state(&url).await == "connected"
    })
    .await;

    // Two messages while away: one notification for both, with the three actions.
    send_while_away(&url, &["away-1", "away-2"]).await;
    eventually("notified", || async {
        !notify_calls(&mock).await.is_empty()
    })
    .await;
    let calls = notify_calls(&mock).await;
    let (replaces, summary, actions) = calls.last().expect("a call").clone();
    assert_eq!(summary, "2 messages arrived while you were away");
    assert_eq!(replaces, 0);
    assert_eq!(
        actions,
        ["type-now", "Type now", "copy", "Copy", "discard", "Discard"]
    );
    // The mock numbers notifications from 1.
    invoke(&mock, 1, "discard").await;
    let api = RelayClient::new(&url, TOKEN);
    for id in ["away-1", "away-2"] {
        let s = api.wait_status(id, "failed").await;
        assert_eq!(
            (s["status"].as_str(), s["error"].as_str()),
            (Some("failed"), Some("discarded on the desktop")),
            "{s}"
        );
    }

    // One more while away: Type now records it (this agent records only).
    send_while_away(&url, &["away-3"]).await;
    eventually("notified again", || async {
        notify_calls(&mock)
            .await
            .iter()
            .any(|(_, s, _)| s == "1 message arrived while you were away")
    })
    .await;
    // Copy puts the text on the clipboard and leaves the message held.
    if let Some(d) = &display {
        invoke(&mock, 2, "copy").await;
        eventually("copied", || async { d.clipboard() == "away-3" }).await;
        assert_eq!(api.status("away-3").await["held"], true);
    }
    invoke(&mock, 2, "type-now").await;
    let s = api.wait_status("away-3", "injected").await;
    assert_eq!(s["status"], "injected", "{s}");

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("stops")
        .expect("join")
        .expect("clean");
}
