//! GNOME 46+ and Plasma 6: the RemoteDesktop portal with libei. The portal
//! ([`session`]) asks the user once, then remembers (the restore token,
//! [`token`], renewed on every start); it hands out a descriptor of the
//! desktop's EIS server, over which [`ei`] types keys of the keymap that server
//! gives (planned with [`Layout`], as on KWin: only characters that mean the
//! same in every layout group). A text with a character off the layout is pasted
//! whole, through the portal's clipboard (`org.freedesktop.portal.Clipboard`,
//! [`remote_clipboard`](super::remote_clipboard)), or where the portal has none,
//! through the data-control clipboard.
//!
//! Without a stored token SayType does not start the session by itself (that
//! would pop a dialog nobody asked for): the status says a grant is needed, and
//! the window's and tray's "Allow typing" calls [`PortalInjector::grant`].

pub mod ei;
pub mod grant;
pub mod session;
pub mod token;

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;

use ashpd::desktop::remote_desktop::RemoteDesktop;
use ashpd::desktop::Session;

use super::keyed::{self, Keyed};
use super::layout::{Layout, Stroke};
use super::lend;
use super::progress::{checkpoint, Progress};
use super::remote_clipboard::{self, Channel, Shared};
use super::wayland::data_control::DataControl;
use super::InjectError;
use grant::{After, Step, TokenAction};
use session::Offer;
use token::TokenStore;

/// The RemoteDesktop portal's route.
pub struct PortalInjector {
    runtime: tokio::runtime::Runtime,
    offer: Offer,
    tokens: TokenStore,
    live: Option<Live>,
    /// Why nothing can be typed until the user grants it.
    needs_grant: String,
    layout: Option<Layout>,
}

/// A started session.
struct Live {
    session: Session<RemoteDesktop>,
    ei: ei::EiKeyboard,
    clipboard: Paste,
}

/// How this session pastes.
enum Paste {
    Portal(Arc<Shared>),
    /// Started at the first paste.
    DataControl(Option<DataControl>),
}

impl PortalInjector {
    /// The portal's route if the desktop offers it (`Ok(None)`: it does not);
    /// started at once when a restore token is stored (`data_dir`).
    pub fn connect(data_dir: Option<&Path>) -> Result<Option<PortalInjector>, InjectError> {
        Self::connect_on(None, data_dir)
    }

    /// [`PortalInjector::connect`] through the bus at `address` (a private bus
    /// in tests), else the session bus.
    pub fn connect_on(
        address: Option<&str>,
        data_dir: Option<&Path>,
    ) -> Result<Option<PortalInjector>, InjectError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("saytype-portal")
            .enable_all()
            .build()
            .map_err(|e| InjectError::Unavailable(format!("cannot start a D-Bus runtime: {e}")))?;
        let offer = runtime.block_on(async {
            let bus = match address {
                Some(address) => match zbus::connection::Builder::address(address) {
                    Ok(builder) => builder.build().await,
                    Err(e) => Err(e),
                },
                None => zbus::Connection::session().await,
            };
            let Ok(bus) = bus else {
                return Ok(None);
            };
            session::offered(&bus).await
        });
        let offer = match offer {
            Ok(Some(offer)) => offer,
            Ok(None) => return Ok(None),
            Err(e) => return Err(InjectError::Unavailable(e.to_string())),
        };
        let tokens = TokenStore::new(data_dir);
        let mut portal = PortalInjector {
            runtime,
            offer,
            needs_grant: grant::NEEDS_GRANT.into(),
            live: None,
            layout: None,
            tokens,
        };
        if grant::on_connect(portal.tokens.load().is_some(), false) == Step::Start {
            match portal.start() {
                Ok(()) | Err(InjectError::NeedsGrant(_)) => {}
                Err(e) => tracing::warn!("the remote desktop portal: {e}"),
            }
        }
        Ok(Some(portal))
    }

    /// The user asked to allow typing: `Start` (with the dialog).
    pub fn grant(&mut self) -> Result<(), InjectError> {
        self.close();
        self.start()
    }

    pub fn ready_line(&mut self) -> Result<String, InjectError> {
        self.live()?;
        Ok("typing through the remote desktop portal (libei)".into())
    }

    fn live(&mut self) -> Result<&mut Live, InjectError> {
        match &mut self.live {
            Some(live) => Ok(live),
            None => Err(InjectError::NeedsGrant(self.needs_grant.clone())),
        }
    }

    /// Start a session with the stored token, and connect to its EIS server.
    fn start(&mut self) -> Result<(), InjectError> {
        let token = self.tokens.load();
        let started = self
            .runtime
            .block_on(session::start(&self.offer, token.as_deref()))
            .map_err(|e| InjectError::Unavailable(e.to_string()))?;
        let (action, after) = grant::after_start(started.answer);
        match action {
            Some(TokenAction::Store(token)) => {
                if let Err(e) = self.tokens.store(&token) {
                    tracing::warn!("cannot keep the portal's restore token: {e}");
                }
            }
            Some(TokenAction::Forget) => self.tokens.forget(),
            None => {}
        }
        let session = started.session;
        match after {
            After::Granted => {}
            After::NeedsGrant(why) => {
                let _ = self.runtime.block_on(session.close());
                self.needs_grant = why.clone();
                return Err(InjectError::NeedsGrant(why));
            }
            After::Failed(why) => {
                let _ = self.runtime.block_on(session.close());
                return Err(InjectError::Failed(format!(
                    "the remote desktop portal did not start a session ({why}): send the \
                     message again, or press \"Allow typing\" in the SayType window"
                )));
            }
        }
        let desktop = &self.offer.desktop;
        let connected = self.runtime.block_on(async {
            let fd = session::connect_to_eis(desktop, &session).await?;
            let clipboard = match started.clipboard {
                true => {
                    let proxy = zbus::Proxy::new(
                        desktop.connection(),
                        "org.freedesktop.portal.Desktop",
                        "/org/freedesktop/portal/desktop",
                        "org.freedesktop.portal.Clipboard",
                    )
                    .await?;
                    let channel = Channel::Portal {
                        clipboard: proxy,
                        session: started.path,
                    };
                    Paste::Portal(remote_clipboard::enable(channel).await?)
                }
                false => Paste::DataControl(None),
            };
            Ok::<_, session::PortalError>((fd, clipboard))
        });
        let (fd, clipboard) = match connected {
            Ok(c) => c,
            Err(e) => {
                let _ = self.runtime.block_on(session.close());
                return Err(InjectError::Unavailable(e.to_string()));
            }
        };
        let ei = ei::EiKeyboard::connect(UnixStream::from(fd))?;
        self.layout = None;
        self.live = Some(Live {
            session,
            ei,
            clipboard,
        });
        Ok(())
    }

    fn close(&mut self) {
        if let Some(live) = self.live.take() {
            drop(live.ei);
            let _ = self.runtime.block_on(live.session.close());
        }
    }
}

impl Drop for PortalInjector {
    fn drop(&mut self) {
        self.close();
    }
}

impl Keyed for PortalInjector {
    fn layout(&mut self) -> Result<&Layout, InjectError> {
        let live = match &mut self.live {
            Some(live) => live,
            None => return Err(InjectError::NeedsGrant(self.needs_grant.clone())),
        };
        if let Some(keymap) = live.ei.take_keymap()? {
            let layout =
                Layout::from_keymap(keymap).map_err(|e| InjectError::Failed(e.to_string()))?;
            self.layout = Some(layout);
        }
        self.layout.as_ref().ok_or_else(|| {
            InjectError::Failed(
                "the desktop gave SayType's keyboard no keymap, so it cannot tell which key \
                 types which character: nothing was typed (copy the text from the history)"
                    .into(),
            )
        })
    }

    fn send_batch(&mut self, batch: &[Stroke]) -> Result<(), InjectError> {
        let events = keyed::batch_events(self.layout()?, batch)?;
        self.live()?.ei.send(&events)
    }

    /// Paste `text`: our session owns the clipboard with it, the window gets
    /// Ctrl+V, and once the desktop has fetched the text the user's text goes
    /// back.
    fn paste_text(
        &mut self,
        text: &str,
        terminal: bool,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError> {
        let total = text.chars().count();
        checkpoint(progress, 0, total)?;
        let shortcut = keyed::paste_events(self.layout()?, terminal)?;
        let runtime = &self.runtime;
        let Some(live) = &mut self.live else {
            return Err(InjectError::NeedsGrant(self.needs_grant.clone()));
        };
        let ei = &mut live.ei;
        match &mut live.clipboard {
            Paste::Portal(shared) => {
                lend::through_session(shared, runtime, text, || ei.send(&shortcut))?
            }
            Paste::DataControl(control) => {
                let control = match control {
                    Some(c) => c,
                    empty => empty.insert(DataControl::start().map_err(|e| {
                        InjectError::Failed(format!(
                            "the text has characters that are not on your keyboard layout, \
                             and neither the portal nor the compositor offers SayType a \
                             clipboard to paste them ({e}): copy it from the history"
                        ))
                    })?),
                };
                lend::through_data_control(control, text, || ei.send(&shortcut))?
            }
        }
        let _ = progress.advanced(total);
        Ok(())
    }
}
