//! End to end under headless mutter 43 (GNOME's compositor), for real: a native
//! GTK 3 window (`GDK_BACKEND=wayland`) that records its buffer, and the real
//! `saytype serve` on the same private session bus.

mod common;

use common::desktop::Target;
use common::mutter::Mutter;
use common::served::Served;
use common::session_bus::SessionBus;
use common::wayland::serve_in;
use common::{RelayClient, TOKEN};
use serde_json::{json, Value};

struct Session {
    served: Served,
    target: Target,
    _mutter: Mutter,
    _other_bus: Option<SessionBus>,
    _dir: tempfile::TempDir,
}

/// mutter (with Xwayland if `xwayland`), a focused native GTK window, and
/// `saytype serve --inject INJECT`. With `reach_mutter` false, SayType gets a
/// session bus of its own, so mutter's RemoteDesktop is out of its reach: a
/// compositor that offers nothing SayType speaks.
async fn session(xwayland: bool, inject: &str, reach_mutter: bool) -> Session {
    let mutter = Mutter::start(xwayland);
    let dir = tempfile::tempdir().expect("tempdir");
    let target = mutter.gtk(dir.path());
    let other_bus = (!reach_mutter).then(SessionBus::start);
    let mut env = mutter.env();
    if let Some(bus) = &other_bus {
        env.retain(|(k, _)| *k != "DBUS_SESSION_BUS_ADDRESS");
        env.push(("DBUS_SESSION_BUS_ADDRESS", bus.address.clone()));
    }
    let served = serve_in(&dir.path().join("data"), inject, &env).await;
    Session {
        served,
        target,
        _mutter: mutter,
        _other_bus: other_bus,
        _dir: dir,
    }
}

async fn post(s: &Session, id: &str, text: &str) {
    let r = RelayClient::new(&s.served.url, TOKEN)
        .post(&json!({"text": text, "id": id}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

/// The defect: with Xwayland beside the compositor and a native window focused,
/// the message went through X11 (Xwayland's `_NET_ACTIVE_WINDOW` is 0, XTest
/// reaches no window) and was reported `injected` while nothing arrived.
#[tokio::test]
async fn a_native_window_no_route_reaches_fails_with_what_to_do() {
    let s = session(true, "type", false).await;
    post(&s, "native-1", "nobody receives this").await;
    let status: Value = RelayClient::new(&s.served.url, TOKEN)
        .wait_status("native-1", "failed")
        .await;
    assert_eq!(status["status"], "failed", "{status}");
    let reason = status["error"].as_str().unwrap_or_default().to_owned();
    assert!(reason.contains("native Wayland window"), "{status}");
    assert_eq!(s.target.text(), "", "nothing may arrive");
    // Nothing lost silently later either: a second message fails the same way.
    post(&s, "native-2", "nor this").await;
    let status = RelayClient::new(&s.served.url, TOKEN)
        .wait_status("native-2", "failed")
        .await;
    assert_eq!(status["status"], "failed", "{status}");
}
