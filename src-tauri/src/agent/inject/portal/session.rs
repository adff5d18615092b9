//! The portal's side (ashpd): whether the desktop offers the RemoteDesktop
//! portal with libei (interface version 2: `ConnectToEIS`, persistence), and one
//! session through it: `CreateSession` → `SelectDevices` (keyboard, persist until
//! revoked, the stored restore token) → `RequestClipboard` when the portal has a
//! clipboard → `Start` (the dialog, unless the token is honoured) →
//! `ConnectToEIS`. Each answer comes back as a `Response` signal on a Request
//! object, which ashpd waits for.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::time::Duration;

use ashpd::desktop::remote_desktop::{
    ConnectToEISOptions, DeviceType, RemoteDesktop, SelectDevicesOptions, StartOptions,
};
use ashpd::desktop::{CreateSessionOptions, PersistMode, ResponseError, Session};
use zbus::zvariant::{OwnedObjectPath, Value};

use super::grant::Answer;

const PORTAL: &str = "org.freedesktop.portal.Desktop";
const PORTAL_PATH: &str = "/org/freedesktop/portal/desktop";
const CLIPBOARD: &str = "org.freedesktop.portal.Clipboard";

/// Why the portal cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("the remote desktop portal failed: {0}")]
    Portal(#[from] ashpd::Error),
    #[error("the remote desktop portal failed: {0}")]
    Bus(#[from] zbus::Error),
    #[error("the remote desktop portal's session has no usable path")]
    NoPath,
}

/// What the desktop offers.
pub struct Offer {
    pub desktop: RemoteDesktop,
    /// The portal has `org.freedesktop.portal.Clipboard`.
    pub clipboard: bool,
}

/// The RemoteDesktop portal if it can connect SayType to libei with a keyboard
/// (interface version ≥ 2); `None` if not.
pub async fn offered(bus: &zbus::Connection) -> Result<Option<Offer>, PortalError> {
    let desktop = match RemoteDesktop::with_connection(bus.clone()).await {
        Ok(d) => d,
        Err(ashpd::Error::PortalNotFound(_)) => return Ok(None),
        Err(ashpd::Error::Zbus(zbus::Error::MethodError(name, ..)))
            if name.as_str() == "org.freedesktop.DBus.Error.ServiceUnknown" =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e.into()),
    };
    if desktop.version() < 2 {
        return Ok(None);
    }
    match desktop.available_device_types().await {
        Ok(types) if types.contains(DeviceType::Keyboard) => {}
        _ => return Ok(None),
    }
    let clipboard = zbus::Proxy::new(bus, PORTAL, PORTAL_PATH, CLIPBOARD)
        .await?
        .get_property::<u32>("version")
        .await
        .is_ok();
    Ok(Some(Offer { desktop, clipboard }))
}

/// A session that `Start` answered.
pub struct Started {
    pub session: Session<RemoteDesktop>,
    pub path: OwnedObjectPath,
    pub answer: Answer,
    /// The portal's clipboard was requested and `Start` enabled it.
    pub clipboard: bool,
}

/// How long the user has to answer the dialog before SayType closes it (the
/// injection thread waits meanwhile; messages queue behind it).
const ANSWER_WAIT: Duration = Duration::from_secs(120);

/// Create a session and `Start` it (`token`: the stored restore token).
pub async fn start(offer: &Offer, token: Option<&str>) -> Result<Started, PortalError> {
    let desktop = &offer.desktop;
    let session = desktop
        .create_session(CreateSessionOptions::default())
        .await?;
    let path = session_path(&session)?;
    let select = SelectDevicesOptions::default()
        .set_devices(Some(DeviceType::Keyboard.into()))
        .set_persist_mode(PersistMode::ExplicitlyRevoked)
        .set_restore_token(token);
    desktop.select_devices(&session, select).await?.response()?;
    // A portal whose backend has no clipboard refuses this: then SayType pastes
    // through the compositor's data-control clipboard, if there is one.
    let mut clipboard = offer.clipboard
        && zbus::Proxy::new(desktop.connection(), PORTAL, PORTAL_PATH, CLIPBOARD)
            .await?
            .call_method("RequestClipboard", &(&path, HashMap::<&str, Value>::new()))
            .await
            .is_ok();
    let started = tokio::time::timeout(
        ANSWER_WAIT,
        desktop.start(&session, None, StartOptions::default()),
    )
    .await;
    let answer = match started {
        Err(_elapsed) => Answer::NoAnswer,
        Ok(Ok(request)) => match request.response() {
            Ok(selected) => {
                clipboard &= selected.is_clipboard_enabled();
                Answer::Granted {
                    token: selected.restore_token().map(str::to_owned),
                }
            }
            Err(ashpd::Error::Response(ResponseError::Cancelled)) => Answer::Refused,
            Err(e) => Answer::Failed(e.to_string()),
        },
        Ok(Err(e)) => Answer::Failed(e.to_string()),
    };
    Ok(Started {
        session,
        path,
        answer,
        clipboard,
    })
}

/// The descriptor of the desktop's EIS server for this session.
pub async fn connect_to_eis(
    desktop: &RemoteDesktop,
    session: &Session<RemoteDesktop>,
) -> Result<OwnedFd, PortalError> {
    Ok(desktop
        .connect_to_eis(session, ConnectToEISOptions::default())
        .await?)
}

/// The session's object path (ashpd keeps it to itself; its serialisation is
/// that path).
fn session_path(session: &Session<RemoteDesktop>) -> Result<OwnedObjectPath, PortalError> {
    let serde_json::Value::String(path) =
        serde_json::to_value(session).map_err(|_| PortalError::NoPath)?
    else {
        return Err(PortalError::NoPath);
    };
    OwnedObjectPath::try_from(path).map_err(|_| PortalError::NoPath)
}
