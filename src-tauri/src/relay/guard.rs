//! Which names and which browser pages may reach the relay: the defence against DNS
//! rebinding (a page on `attacker.example` whose name is re-pointed at the laptop)
//! and against foreign pages opening the agents' WebSocket.
//!
//! - **Host allow-list.** A request's `Host` must be an IP literal, `localhost` (or a
//!   name under `.localhost`), a name under `.local` (mDNS), or one of this machine's
//!   own names; anything else is answered `421 HOST_NOT_ALLOWED`. A rebinding attack
//!   always carries the attacker's own name, which is none of these. A request with
//!   no `Host` at all (HTTP/1.0 tools) comes from no browser and is let through.
//! - **Origin on `/ws`.** A browser sends `Origin` with every WebSocket handshake, and
//!   the relay does not answer CORS, so a page from elsewhere must not get a socket:
//!   an `Origin` other than the relay's own (`http://` + the `Host` asked for) or the
//!   tray app's (`tauri://localhost`, `http(s)://tauri.localhost`) is answered
//!   `403 ORIGIN_NOT_ALLOWED`. No `Origin` means no browser (agents, tools): allowed.

use std::net::IpAddr;

use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::protocol::ErrorCode;

/// The host part of a `Host` value, lower-cased, without port, brackets or a
/// trailing dot; `None` when it is not a plausible host.
fn host_name(host: &str) -> Option<String> {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        // [v6] or [v6]:port
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.starts_with(':')) {
            return None;
        }
        inside
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            Some(_) => return None,
            None => host,
        }
    };
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    (!name.is_empty()).then_some(name)
}

/// Whether `host` (a `Host` header value) names this relay: see the module notes.
/// `own_names` are the machine's host names, lower-cased.
pub fn host_allowed(host: &str, own_names: &[String]) -> bool {
    let Some(name) = host_name(host) else {
        return false;
    };
    if name.parse::<IpAddr>().is_ok() {
        return true;
    }
    name == "localhost"
        || name.ends_with(".localhost")
        || name.ends_with(".local")
        || own_names.contains(&name)
}

/// The names this machine answers to besides IP literals, `localhost` and `.local`:
/// its host name as the system reports it, and that name's first label (a
/// host name may be fully qualified, `laptop.example.org`, and still be asked for
/// as `laptop`).
fn own_names() -> Vec<String> {
    let full = gethostname::gethostname()
        .to_string_lossy()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let mut names = vec![full.clone()];
    if let Some((first, _)) = full.split_once('.') {
        names.push(first.to_owned());
    }
    names.retain(|n| !n.is_empty());
    names
}

/// The tray app's own origins (Tauri's custom protocol on each platform).
const APP_ORIGINS: [&str; 3] = [
    "tauri://localhost",
    "http://tauri.localhost",
    "https://tauri.localhost",
];

/// Whether a browser page from `origin` may open `/ws` on a relay asked for as
/// `host`: its own pages and the tray app's only.
pub fn origin_allowed(origin: &str, host: Option<&str>) -> bool {
    let origin = origin.trim().to_ascii_lowercase();
    if APP_ORIGINS.contains(&origin.as_str()) {
        return true;
    }
    let Some(host) = host else {
        return false;
    };
    let host = host.trim().to_ascii_lowercase();
    // The relay speaks plain HTTP; port 80 may be written or left out.
    origin == format!("http://{host}")
        || host
            .strip_suffix(":80")
            .is_some_and(|bare| origin == format!("http://{bare}"))
        || origin
            .strip_suffix(":80")
            .is_some_and(|bare| bare == format!("http://{host}"))
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<Result<&str, ()>> {
    headers.get(name).map(|v| v.to_str().map_err(|_| ()))
}

/// The middleware in front of every route.
pub async fn check(req: Request, next: Next) -> Response {
    let host = match header_str(req.headers(), header::HOST) {
        None => None,
        Some(Ok(host)) if host_allowed(host, &own_names()) => Some(host),
        Some(_) => {
            return ApiError::new(
                StatusCode::MISDIRECTED_REQUEST,
                ErrorCode::HostNotAllowed,
                "this relay answers only to its IP addresses, localhost, .local names \
                 and its own host name",
            )
            .into_response()
        }
    };
    if req.uri().path() == "/ws" {
        if let Some(origin) = header_str(req.headers(), header::ORIGIN) {
            let allowed = origin.is_ok_and(|o| origin_allowed(o, host));
            if !allowed {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    ErrorCode::OriginNotAllowed,
                    "a web page from another origin may not open the agents' WebSocket",
                )
                .into_response();
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_that_name_this_relay() {
        let own = vec!["laptop.example.org".to_owned(), "laptop".to_owned()];
        for ok in [
            "127.0.0.1",
            "127.0.0.1:8765",
            "192.168.1.20:8765",
            "[::1]:8765",
            "[fe80::1]",
            "localhost",
            "LOCALHOST:8765",
            "localhost.",
            "app.localhost",
            "laptop.local:8765",
            "other-desk.local",
            "laptop",
            "Laptop.Example.Org:80",
        ] {
            assert!(host_allowed(ok, &own), "{ok}");
        }
        for bad in [
            "attacker.example",
            "attacker.example:8765",
            "127.0.0.1.attacker.example",
            "localhost.attacker.example",
            "local",
            "notlaptop",
            "",
            "[::1",
            "[::1]x",
            "host:port",
        ] {
            assert!(!host_allowed(bad, &own), "{bad}");
        }
    }

    #[test]
    fn origins_that_may_open_the_websocket() {
        let host = Some("192.168.1.20:8765");
        assert!(origin_allowed("http://192.168.1.20:8765", host));
        assert!(origin_allowed("HTTP://192.168.1.20:8765", host));
        assert!(origin_allowed("tauri://localhost", host));
        assert!(origin_allowed("http://tauri.localhost", None));
        assert!(origin_allowed("http://desk.local", Some("desk.local:80")));
        assert!(origin_allowed("http://desk.local:80", Some("desk.local")));
        assert!(!origin_allowed("http://attacker.example", host));
        assert!(!origin_allowed("http://192.168.1.20:3000", host));
        assert!(!origin_allowed("https://192.168.1.20:8765", host));
        assert!(!origin_allowed("null", host));
        assert!(!origin_allowed("http://192.168.1.20:8765", None));
    }
}
