//! The pages' files, built into the binary (no files to install, nothing to go
//! missing), in one table each: the phone page (`GET /`, its script modules under
//! `/phone/`, styles, manifest and icons), the desktop window's page (`/ui`, its
//! modules under `/ui/desktop/`), and the modules both import (`ui/lib/`, served
//! next to each page's own: `/lib/` and `/ui/lib/`). Served without a token: they
//! hold no data, only the pages that ask for it. The desktop page's router is put
//! behind the loopback check by the relay's [`router`](super::router).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

struct Asset {
    path: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// A file of `ui/` served at `path`.
macro_rules! asset {
    ($path:literal, $mime:expr, $file:literal) => {
        Asset {
            path: $path,
            mime: $mime,
            body: include_bytes!(concat!("../../../", $file)),
        }
    };
}

/// A script module: `ui/<path>`, served at `<path>` below its table's prefix (`/` for
/// the phone, `/ui` for the window), so that its relative imports find the same files
/// in the browser as on disk (where node's unit tests import them).
macro_rules! module {
    ($path:literal) => {
        Asset {
            path: $path,
            mime: JS,
            body: include_bytes!(concat!("../../../ui", $path)),
        }
    };
}

const PHONE: &[Asset] = &[
    asset!("/", HTML, "ui/phone/index.html"),
    module!("/phone/phone.js"),
    module!("/phone/outbox.js"),
    module!("/phone/link.js"),
    module!("/phone/pairing.js"),
    module!("/phone/relay.js"),
    module!("/phone/roam.js"),
    module!("/phone/relay-view.js"),
    module!("/phone/state.js"),
    module!("/phone/text.js"),
    module!("/phone/view.js"),
    asset!("/phone.css", CSS, "ui/phone/phone.css"),
    asset!(
        "/manifest.webmanifest",
        "application/manifest+json",
        "ui/phone/manifest.webmanifest"
    ),
    asset!("/icon-192.png", "image/png", "ui/icon-192.png"),
    asset!("/icon-512.png", "image/png", "ui/icon-512.png"),
];

/// Below `/ui` (the window's page is `/ui` itself).
const DESKTOP: &[Asset] = &[
    asset!("", HTML, "ui/index.html"),
    asset!("/", HTML, "ui/index.html"),
    module!("/app.js"),
    module!("/desktop/events.js"),
    module!("/desktop/history.js"),
    module!("/desktop/history-view.js"),
    module!("/desktop/notes.js"),
    module!("/desktop/pairing.js"),
    module!("/desktop/pairing-view.js"),
    module!("/desktop/phones.js"),
    module!("/desktop/phones-view.js"),
    module!("/desktop/diagnostics.js"),
    module!("/desktop/diagnostics-view.js"),
    module!("/desktop/session.js"),
    module!("/desktop/settings.js"),
    module!("/desktop/settings-view.js"),
    module!("/desktop/status.js"),
    module!("/desktop/status-view.js"),
    asset!("/app.css", CSS, "ui/app.css"),
    asset!("/icon.png", "image/png", "icons/128x128.png"),
];

/// The modules both pages import (no data in them): under `/lib/` for the phone
/// page, `/ui/lib/` for the desktop window, as `ui/lib/` is next to each page's own.
const SHARED: &[Asset] = &[
    module!("/lib/api.js"),
    module!("/lib/boot.js"),
    module!("/lib/backoff.js"),
    module!("/lib/coalesce.js"),
    module!("/lib/dom.js"),
    module!("/lib/excerpt.js"),
    module!("/lib/sealed.js"),
    module!("/lib/sse.js"),
    module!("/lib/storage.js"),
    module!("/lib/time.js"),
    module!("/lib/token.js"),
    // The audited crypto of the sealed link, bundled by scripts/build-ui.sh.
    module!("/lib/vendor/noble.js"),
];

/// The phone page's files, and the shared modules under `/lib/`.
pub fn phone_router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    table_router(PHONE, "").merge(table_router(SHARED, ""))
}

/// The desktop window's files, and the shared modules under `/ui/lib/` (to be put
/// behind the loopback check).
pub fn desktop_router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    table_router(DESKTOP, "/ui").merge(table_router(SHARED, "/ui"))
}

fn table_router<S: Clone + Send + Sync + 'static>(
    table: &'static [Asset],
    prefix: &str,
) -> Router<S> {
    table.iter().fold(Router::new(), |router, asset| {
        router.route(
            &format!("{prefix}{}", asset.path),
            get(move || async move { static_response(asset.body, asset.mime) }),
        )
    })
}

/// A built-in file, with the headers every page of ours gets: always revalidated
/// (a new version must not leave a stale page behind), a strict content security
/// policy (own scripts and styles only, no inline code, no outside resources), no
/// referrer, no MIME sniffing.
pub fn static_response(body: &'static [u8], mime: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; connect-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
