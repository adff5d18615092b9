//! The real `saytype serve` on a GNOME session that offers no private route
//! (headless mutter 43, SayType on a session bus of its own, so mutter's
//! RemoteDesktop is out of reach) but the RemoteDesktop portal: the stand-in
//! portal and its in-process EIS server on that bus. The status asks for the
//! grant, `POST /ui/api/injector/grant` opens the "dialog", and the message goes
//! through libei. The same on a KDE session where KWin withholds its fake input
//! (headless KWin 5.27 that never sees SayType's `.desktop` entry), as on a
//! Plasma 6 without the grant.

mod common;

use std::time::Duration;

use common::eis::typed_text;
use common::kwin::{Grant, Kwin};
use common::mutter::Mutter;
use common::portal::StandIn;
use common::wayland::serve_in;
use common::{RelayClient, TOKEN};
use saytype::agent::inject::layout::keymap_of;
use saytype::agent::inject::portal::token;
use saytype::client::HttpClient;
use serde_json::{json, Value};

/// The local agent's status, once `done` holds for it.
async fn agent_status(url: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut client = HttpClient::connect(url).await.expect("connect");
    let mut last = Value::Null;
    for _ in 0..500 {
        last = client
            .get("/ui/api/status", Some(TOKEN))
            .await
            .expect("get")
            .json()
            .expect("json")["localAgent"]
            .clone();
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the status never got there: {last}");
}

#[test]
fn serve_asks_for_the_grant_then_types_through_the_portal() {
    let us = keymap_of("us", "").expect("xkb data");
    let stand_in = StandIn::start(&us);
    let mutter = Mutter::start(false);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut env = mutter.env();
    env.retain(|(k, _)| *k != "DBUS_SESSION_BUS_ADDRESS");
    env.push(("DBUS_SESSION_BUS_ADDRESS", stand_in.bus.address.clone()));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let served = serve_in(&data, "type", &env).await;
        let url = served.url.clone();
        let asking = agent_status(&url, |a| a["injectorNeedsGrant"] == true).await;
        assert_eq!(asking["injectorState"], "unavailable", "{asking}");
        let line = asking["injector"].as_str().unwrap_or_default();
        assert!(line.contains("Allow typing"), "{asking}");
        assert_eq!(
            *stand_in.portal.starts.lock().expect("lock"),
            0,
            "no dialog by itself"
        );

        // A message before the grant fails with what to do.
        let client = RelayClient::new(&url, TOKEN);
        let r = client
            .post(&json!({"text": "too early", "id": "early"}))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let failed = client.wait_status("early", "failed").await;
        let reason = failed["error"].as_str().unwrap_or_default();
        assert!(reason.contains("Allow typing"), "{failed}");

        let mut http = HttpClient::connect(&url).await.expect("connect");
        let granted = http
            .request(
                hyper::Method::POST,
                "/ui/api/injector/grant",
                Some(TOKEN),
                None,
            )
            .await
            .expect("grant");
        assert_eq!(granted.status, hyper::StatusCode::ACCEPTED);
        let ready = agent_status(&url, |a| a["injectorNeedsGrant"] == false).await;
        assert!(
            ready["injector"]
                .as_str()
                .unwrap_or_default()
                .contains("portal"),
            "{ready}"
        );
        assert_eq!(
            std::fs::read_to_string(data.join(token::FILE_NAME))
                .ok()
                .as_deref(),
            Some("token-1")
        );

        let text = "Typed through libei: 42 + 1 = 43?";
        let r = client.post(&json!({"text": text, "id": "portal-1"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let done = client.wait_status("portal-1", "injected").await;
        assert_eq!(done["status"], "injected", "{done}");
        let keys = stand_in.portal.eis.keys.lock().expect("lock").clone();
        assert_eq!(typed_text(&us, &keys), text);
        drop(served);
    });
}

#[test]
fn on_kde_without_the_fake_input_grant_the_portal_types_a_german_layout() {
    let de = keymap_of("de", "").expect("xkb data");
    let stand_in = StandIn::start(&de);
    let kwin = Kwin::start(Grant::DesktopEntry, "de");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // SayType writes its entry where this KWin never looks: no fake input.
    let elsewhere = dir.path().join("elsewhere");
    let mut env = kwin.env();
    env.retain(|(k, _)| !matches!(*k, "DBUS_SESSION_BUS_ADDRESS" | "XDG_DATA_HOME"));
    env.push(("DBUS_SESSION_BUS_ADDRESS", stand_in.bus.address.clone()));
    env.push(("XDG_DATA_HOME", elsewhere.display().to_string()));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let served = serve_in(&data, "type", &env).await;
        let url = served.url.clone();
        let asking = agent_status(&url, |a| a["injectorNeedsGrant"] == true).await;
        assert!(
            asking["injector"]
                .as_str()
                .unwrap_or_default()
                .contains("Allow typing"),
            "{asking}"
        );
        let mut http = HttpClient::connect(&url).await.expect("connect");
        let granted = http
            .request(
                hyper::Method::POST,
                "/ui/api/injector/grant",
                Some(TOKEN),
                None,
            )
            .await
            .expect("grant");
        assert_eq!(granted.status, hyper::StatusCode::ACCEPTED);
        agent_status(&url, |a| a["injectorNeedsGrant"] == false).await;
        let text = "Grüße: zY @ € {1}";
        let client = RelayClient::new(&url, TOKEN);
        let r = client
            .post(&json!({"text": text, "id": "kde-portal"}))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let done = client.wait_status("kde-portal", "injected").await;
        assert_eq!(done["status"], "injected", "{done}");
        let keys = stand_in.portal.eis.keys.lock().expect("lock").clone();
        assert_eq!(typed_text(&de, &keys), text);
        drop(served);
    });
}
