//! The RemoteDesktop portal + libei route (GNOME 46+, Plasma 6), against a
//! stand-in portal on a private session bus and an in-process EIS server (reis's
//! server side): the whole handshake, the grant and its restore token, the keys
//! the server receives for the keymap it offered, pasting through the portal's
//! clipboard, and a refused grant.

mod common;

use std::path::Path;

use common::eis::typed_text;
use common::portal::StandIn;
use saytype::agent::inject::keyed;
use saytype::agent::inject::layout::keymap_of;
use saytype::agent::inject::portal::{token, PortalInjector};
use saytype::agent::inject::{
    InjectError, InjectMode, InjectSettings, Method, NewlineKey, Progress,
};

struct Quiet;

impl Progress for Quiet {
    fn advanced(&mut self, _typed: usize) -> bool {
        true
    }
}

fn settings(mode: InjectMode) -> InjectSettings {
    InjectSettings {
        mode,
        newline: NewlineKey::Return,
    }
}

fn connect(stand_in: &StandIn, data: &Path) -> PortalInjector {
    PortalInjector::connect_on(Some(&stand_in.bus.address), Some(data))
        .expect("connect")
        .expect("the stand-in offers the portal")
}

fn stored_token(data: &Path) -> Option<String> {
    std::fs::read_to_string(data.join(token::FILE_NAME)).ok()
}

fn keys(stand_in: &StandIn) -> Vec<(u32, bool)> {
    stand_in.portal.eis.keys.lock().expect("lock").clone()
}

#[test]
fn asked_once_then_remembered_with_a_new_token_each_run() {
    let us = keymap_of("us", "").expect("xkb data");
    let stand_in = StandIn::start(&us);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");

    // First run: no token, so no dialog by itself; the status says what to do.
    let mut portal = connect(&stand_in, &data);
    assert_eq!(*stand_in.portal.starts.lock().expect("lock"), 0);
    let Err(InjectError::NeedsGrant(why)) = portal.ready_line() else {
        panic!("a grant is needed first");
    };
    assert!(why.contains("Allow typing"), "{why}");
    let refused = keyed::inject(&mut portal, "x", settings(InjectMode::Type), &mut Quiet);
    assert!(matches!(refused, Err(InjectError::NeedsGrant(_))));

    // The user presses "Allow typing": Start, the token kept 0600.
    portal.grant().expect("granted");
    assert!(portal.ready_line().is_ok());
    assert_eq!(*stand_in.portal.select_tokens.lock().expect("lock"), [None]);
    assert_eq!(
        *stand_in.portal.persist_modes.lock().expect("lock"),
        [2],
        "persist until revoked"
    );
    assert_eq!(stored_token(&data).as_deref(), Some("token-1"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join(token::FILE_NAME))
            .expect("token file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // (No line break: the portal does not tell the focus, so a text with one is
    // pasted, see keyed.rs.)
    let text = "Hello, World! (1+2=3) ~`_|\"'<>?\tend";
    let method = keyed::inject(&mut portal, text, settings(InjectMode::Type), &mut Quiet);
    assert_eq!(method, Ok(Method::Typed));
    assert_eq!(typed_text(&us, &keys(&stand_in)), text);
    drop(portal);

    // Next run: the token goes with SelectDevices, Start is silent, a new token.
    let mut portal = connect(&stand_in, &data);
    assert!(portal.ready_line().is_ok(), "started by itself");
    assert_eq!(
        *stand_in.portal.select_tokens.lock().expect("lock"),
        [None, Some("token-1".into())]
    );
    assert_eq!(stored_token(&data).as_deref(), Some("token-2"));
    assert_eq!(*stand_in.portal.eis.connections.lock().expect("lock"), 2);
}

#[test]
fn a_german_keymap_is_typed_with_its_own_keys_shift_and_altgr() {
    let de = keymap_of("de", "").expect("xkb data");
    let stand_in = StandIn::start(&de);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut portal = connect(&stand_in, dir.path());
    portal.grant().expect("granted");
    let text = "Grüße, Maß: {x} [y] € @ | ~ \\ zY ÄÖÜ";
    let method = keyed::inject(&mut portal, text, settings(InjectMode::Type), &mut Quiet);
    assert_eq!(method, Ok(Method::Typed));
    let sent = keys(&stand_in);
    assert_eq!(typed_text(&de, &sent), text);
    assert!(
        sent.contains(&(21, true)),
        "z is KEY_Y on the German layout"
    );
    assert!(sent.contains(&(42, true)), "Shift");
    let presses = sent.iter().filter(|(_, p)| *p).count();
    let releases = sent.len() - presses;
    assert_eq!(presses, releases, "every key released");
    assert!(*stand_in.portal.eis.frames.lock().expect("lock") >= sent.len());
}

#[test]
fn text_off_the_layout_goes_through_the_portal_clipboard() {
    let us = keymap_of("us", "").expect("xkb data");
    let stand_in = StandIn::start(&us);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut portal = connect(&stand_in, dir.path());
    portal.grant().expect("granted");
    assert!(*stand_in.portal.clipboard_requested.lock().expect("lock"));
    let text = "naïve café ✓ 日本語 👍🏽";
    let method = keyed::inject(&mut portal, text, settings(InjectMode::Type), &mut Quiet);
    assert_eq!(method, Ok(Method::Pasted));
    assert_eq!(stand_in.pasted(1), [text]);
    assert_eq!(
        keys(&stand_in),
        [(29, true), (47, true), (47, false), (29, false)],
        "only Ctrl+V was pressed"
    );
    // The user's own text is the clipboard again.
    assert_eq!(*stand_in.portal.set_selections.lock().expect("lock"), 2);
    stand_in.paste();
    assert_eq!(stand_in.pasted(2)[1], "the user's own text");
}

#[test]
fn a_refused_grant_fails_the_message_with_what_to_do() {
    let us = keymap_of("us", "").expect("xkb data");
    let stand_in = StandIn::start(&us);
    *stand_in.portal.grant.lock().expect("lock") = false;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    std::fs::write(data.join(token::FILE_NAME), "revoked-token").expect("old token");
    // A stored token that the user revoked: Start shows the dialog, declined.
    let mut portal = connect(&stand_in, &data);
    assert_eq!(*stand_in.portal.starts.lock().expect("lock"), 1);
    assert_eq!(stored_token(&data), None, "the spent token is forgotten");
    let result = keyed::inject(&mut portal, "hello", settings(InjectMode::Type), &mut Quiet);
    let Err(e @ InjectError::NeedsGrant(_)) = result else {
        panic!("refused: {result:?}");
    };
    let reason = e.to_string();
    assert!(reason.contains("declined"), "{reason}");
    assert!(reason.contains("Allow typing"), "{reason}");
    assert!(keys(&stand_in).is_empty(), "nothing typed");
    let again = portal.grant();
    assert!(
        matches!(again, Err(InjectError::NeedsGrant(_))),
        "{again:?}"
    );
}

#[test]
fn a_portal_without_libei_is_not_a_route() {
    let us = keymap_of("us", "").expect("xkb data");
    let stand_in = StandIn::start(&us);
    // Version 1 (xdg-desktop-portal before 1.18): no ConnectToEIS, no persistence.
    *stand_in.portal.version.lock().expect("lock") = 1;
    let dir = tempfile::tempdir().expect("tempdir");
    let found = PortalInjector::connect_on(Some(&stand_in.bus.address), Some(dir.path()));
    assert!(matches!(found, Ok(None)), "not offered");
    // No portal on the bus at all.
    let empty = common::session_bus::SessionBus::start();
    let none = PortalInjector::connect_on(Some(&empty.address), Some(dir.path()));
    assert!(matches!(none, Ok(None)), "no portal");
    assert_eq!(*stand_in.portal.starts.lock().expect("lock"), 0);
}

#[test]
fn without_the_portal_clipboard_off_layout_text_fails_with_the_reason() {
    let us = keymap_of("us", "").expect("xkb data");
    let stand_in = StandIn::start(&us);
    *stand_in.portal.clipboard_enabled.lock().expect("lock") = false;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut portal = connect(&stand_in, dir.path());
    portal.grant().expect("granted");
    // Typed text still goes.
    let typed = keyed::inject(&mut portal, "plain", settings(InjectMode::Type), &mut Quiet);
    assert_eq!(typed, Ok(Method::Typed));
    // No portal clipboard, and no compositor here for the data-control one.
    let result = keyed::inject(&mut portal, "café", settings(InjectMode::Type), &mut Quiet);
    let Err(InjectError::Failed(reason)) = result else {
        panic!("{result:?}");
    };
    assert!(reason.contains("clipboard"), "{reason}");
    assert_eq!(*stand_in.portal.set_selections.lock().expect("lock"), 0);
    assert_eq!(typed_text(&us, &keys(&stand_in)), "plain", "no Ctrl+V sent");
}
