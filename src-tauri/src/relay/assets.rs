//! The phone page's files, built into the binary (no files to install, nothing to
//! go missing): `GET /` and its script, styles, manifest and icons. Served without a
//! token; they hold no data, only the page that asks for the token.

use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

struct Asset {
    path: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
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

/// Paths of the phone page's files, for the router.
pub fn phone_paths() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.path)
}

/// Serve one of the files by its request path.
pub async fn phone_asset(uri: Uri) -> Response {
    match ASSETS.iter().find(|a| a.path == uri.path()) {
        Some(asset) => static_response(asset.body, asset.mime),
        None => StatusCode::NOT_FOUND.into_response(),
    }
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
