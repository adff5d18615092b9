//! The desktop notification for held messages (issue 13): "2 messages arrived
//! while you were away", with *Type now*, *Copy* and *Discard* for all of them,
//! through `org.freedesktop.Notifications` on the session bus. It follows the
//! relay's `Held` events and acts on the notification's `ActionInvoked` signal.
//!
//! No session bus or no notification service is not an error: the window lists
//! held messages with the same actions.

use futures_util::StreamExt;
use std::collections::HashMap;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use zbus::zvariant::Value;
use zbus::Proxy;

use crate::protocol::ui::UiEvent;
use crate::relay::{hold, RelayState};

const SERVICE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

/// The notification's action keys (the spec's `actions` pairs: key, label).
const TYPE_NOW: &str = "type-now";
const COPY: &str = "copy";
const DISCARD: &str = "discard";
const ACTIONS: [&str; 6] = [TYPE_NOW, "Type now", COPY, "Copy", DISCARD, "Discard"];

/// The notification's title for `n` held messages.
pub fn summary(n: usize) -> String {
    match n {
        1 => "1 message arrived while you were away".into(),
        n => format!("{n} messages arrived while you were away"),
    }
}

/// Show and follow the notification until `shutdown`; returns at once without a
/// session bus.
pub async fn run(state: RelayState, shutdown: CancellationToken) {
    let conn = match zbus::Connection::session().await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!("no session bus, no notifications for held messages: {e}");
            return;
        }
    };
    if let Err(e) = serve(&state, &conn, &shutdown).await {
        tracing::warn!("notifications for held messages: {e}");
    }
}

/// What is on screen now.
#[derive(Default)]
struct Shown {
    id: Option<u32>,
    count: usize,
}

async fn serve(
    state: &RelayState,
    conn: &zbus::Connection,
    shutdown: &CancellationToken,
) -> zbus::Result<()> {
    let proxy = Proxy::new(conn, SERVICE, PATH, SERVICE).await?;
    let mut actions = proxy.receive_signal("ActionInvoked").await?;
    let mut closed = proxy.receive_signal("NotificationClosed").await?;
    let mut events = state.subscribe_events();
    let mut shown = Shown::default();
    // Held before this task subscribed (a restart with held messages).
    update(state, &proxy, &mut shown).await;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            ev = events.recv() => match ev {
                Ok(UiEvent::Held) | Err(RecvError::Lagged(_)) => update(state, &proxy, &mut shown).await,
                Ok(_) => {}
                Err(RecvError::Closed) => return Ok(()),
            },
            Some(msg) = actions.next() => {
                let Ok((id, key)) = msg.body().deserialize::<(u32, String)>() else { continue };
                if shown.id == Some(id) {
                    act(state, &key).await;
                }
            }
            Some(msg) = closed.next() => {
                if let Ok((id, _reason)) = msg.body().deserialize::<(u32, u32)>() {
                    if shown.id == Some(id) {
                        shown = Shown::default();
                    }
                }
            }
        }
    }
}

/// Show, update or close the notification to match the held messages.
async fn update(state: &RelayState, proxy: &Proxy<'_>, shown: &mut Shown) {
    let n = hold::held(state).await.map(|h| h.len()).unwrap_or(0);
    if n == 0 {
        if let Some(id) = shown.id.take() {
            // Best effort: the service may have closed it already.
            let _ = proxy.call_method("CloseNotification", &(id,)).await;
        }
        *shown = Shown::default();
        return;
    }
    if shown.id.is_some() && shown.count == n {
        return;
    }
    let hints: HashMap<&str, Value<'_>> = HashMap::from([("urgency", Value::U8(1))]);
    let body = "They were not typed: choose where they go first.";
    let answer = proxy
        .call_method(
            "Notify",
            &(
                "SayType",
                shown.id.unwrap_or(0),
                "saytype",
                summary(n),
                body,
                ACTIONS.to_vec(),
                hints,
                0i32,
            ),
        )
        .await;
    match answer.and_then(|m| m.body().deserialize::<u32>()) {
        Ok(id) => {
            *shown = Shown {
                id: Some(id),
                count: n,
            }
        }
        Err(e) => tracing::warn!("cannot show the notification for held messages: {e}"),
    }
}

/// The user chose an action of the notification: it applies to every held message.
async fn act(state: &RelayState, key: &str) {
    let Ok(held) = hold::held(state).await else {
        return;
    };
    match key {
        TYPE_NOW | DISCARD => {
            for m in held {
                let id = &m.view.id;
                let done = if key == TYPE_NOW {
                    hold::release(state, id).await
                } else {
                    hold::cancel(state, id, hold::DISCARDED).await
                };
                if let Err(e) = done {
                    tracing::info!(%id, "{key} from the notification: {e}");
                }
            }
        }
        COPY => {
            let text = held
                .into_iter()
                .map(|m| m.text)
                .collect::<Vec<_>>()
                .join("\n\n");
            copy(text).await;
        }
        _ => {}
    }
}

/// Put `text` on the clipboard; the messages stay held (the window still lists
/// them). The clipboard object lives on with the process, as the X11 selection
/// needs an owner for as long as it is offered.
async fn copy(text: String) {
    static CLIPBOARD: std::sync::Mutex<Option<arboard::Clipboard>> = std::sync::Mutex::new(None);
    let done = tokio::task::spawn_blocking(move || {
        let mut guard = crate::sync::lock(&CLIPBOARD);
        if guard.is_none() {
            *guard = Some(arboard::Clipboard::new()?);
        }
        match guard.as_mut() {
            Some(c) => c.set_text(text),
            None => Ok(()),
        }
    })
    .await;
    match done {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!("cannot copy the held messages: {e}"),
        Err(e) => tracing::warn!("cannot copy the held messages: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_the_messages() {
        assert_eq!(summary(1), "1 message arrived while you were away");
        assert_eq!(summary(2), "2 messages arrived while you were away");
    }
}
