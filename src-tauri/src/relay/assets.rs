//! The pages' files, built into the binary (no files to install, nothing to go
//! missing), in one table each: the phone page (`GET /` and its script, styles,
//! manifest and icons) and the desktop window's page (`/ui`). Served without a
//! token: they hold no data, only the pages that ask for it. The desktop page's
//! router is put behind the loopback check by the relay's [`router`](super::router).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

struct Asset {
    path: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

const PHONE: &[Asset] = &[
    Asset {
        path: "/",
        mime: "text/html; charset=utf-8",
        body: include_bytes!("../../../ui/phone/index.html"),
    },
    Asset {
        path: "/phone.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../../ui/phone/phone.js"),
    },
    Asset {
        path: "/phone.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("../../../ui/phone/phone.css"),
    },
    Asset {
        path: "/manifest.webmanifest",
        mime: "application/manifest+json",
        body: include_bytes!("../../../ui/phone/manifest.webmanifest"),
    },
    Asset {
        path: "/icon-192.png",
        mime: "image/png",
        body: include_bytes!("../../../ui/icon-192.png"),
    },
    Asset {
        path: "/icon-512.png",
        mime: "image/png",
        body: include_bytes!("../../../ui/icon-512.png"),
    },
];

const DESKTOP: &[Asset] = &[
    Asset {
        path: "/ui",
        mime: "text/html; charset=utf-8",
        body: include_bytes!("../../../ui/index.html"),
    },
    Asset {
        path: "/ui/",
        mime: "text/html; charset=utf-8",
        body: include_bytes!("../../../ui/index.html"),
    },
    Asset {
        path: "/ui/app.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("../../../ui/app.js"),
    },
    Asset {
        path: "/ui/app.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("../../../ui/app.css"),
    },
    Asset {
        path: "/ui/icon.png",
        mime: "image/png",
        body: include_bytes!("../../../icons/128x128.png"),
    },
];

/// The phone page's files.
pub fn phone_router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    table_router(PHONE)
}

/// The desktop window's files (to be put behind the loopback check).
pub fn desktop_router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    table_router(DESKTOP)
}

fn table_router<S: Clone + Send + Sync + 'static>(table: &'static [Asset]) -> Router<S> {
    table.iter().fold(Router::new(), |router, asset| {
        router.route(
            asset.path,
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
