//! A small HTTP/1.1 client over one keep-alive connection, for `saytype send`, the
//! benchmark and the tests. (hyper is already in the tree through axum; a full
//! client crate with TLS would add much for nothing: the relay speaks plain HTTP on
//! the LAN.)

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

/// Why a request to the relay failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the relay URL must start with http:// (got {0:?})")]
    NotHttp(String),
    #[error("the relay URL has no host: {0:?}")]
    NoHost(String),
    #[error("the relay URL {url:?} is not valid: {err}")]
    BadUrl { url: String, err: url::ParseError },
    #[error("cannot connect to the relay at {authority}: {err}")]
    Connect {
        authority: String,
        err: std::io::Error,
    },
    #[error(transparent)]
    Http(#[from] hyper::Error),
    #[error(transparent)]
    Request(#[from] hyper::http::Error),
    #[error("the relay's answer is not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error(transparent)]
    Encode(serde_json::Error),
}

/// `http://host:port[/base]` → (`host:port`, base path without a trailing slash).
/// The port defaults to 80; anything after the path (query, fragment) is ignored.
pub fn split_http_url(url: &str) -> Result<(String, String), ClientError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| ClientError::NotHttp(url.to_owned()))?;
    // The URL standard repairs `http:///x` into `http://x/`; a relay URL without a
    // host is a mistake to report, not to guess at.
    if rest.is_empty() || rest.starts_with('/') {
        return Err(ClientError::NoHost(url.to_owned()));
    }
    let parsed = url::Url::parse(url).map_err(|err| match err {
        url::ParseError::EmptyHost => ClientError::NoHost(url.to_owned()),
        err => ClientError::BadUrl {
            url: url.to_owned(),
            err,
        },
    })?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ClientError::NoHost(url.to_owned()))?;
    let port = parsed.port_or_known_default().unwrap_or(80);
    let base = parsed.path().trim_end_matches('/').to_owned();
    Ok((format!("{host}:{port}"), base))
}

/// One HTTP/1.1 connection to the relay.
pub struct HttpClient {
    sender: SendRequest<Full<Bytes>>,
    authority: String,
    base: String,
}

/// A response: status and body.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: StatusCode,
    pub body: Bytes,
}

impl HttpResponse {
    pub fn json(&self) -> Result<serde_json::Value, ClientError> {
        serde_json::from_slice(&self.body).map_err(ClientError::NotJson)
    }
}

impl HttpClient {
    /// Connect to `http://host:port[/base]`.
    pub async fn connect(url: &str) -> Result<HttpClient, ClientError> {
        let (authority, base) = split_http_url(url)?;
        let connected = match tokio::net::TcpStream::connect(&authority).await {
            Ok(stream) => stream.set_nodelay(true).map(|()| stream),
            Err(err) => Err(err),
        };
        let stream = connected.map_err(|err| ClientError::Connect {
            authority: authority.clone(),
            err,
        })?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(HttpClient {
            sender,
            authority,
            base,
        })
    }

    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        json_body: Option<Vec<u8>>,
    ) -> Result<HttpResponse, ClientError> {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(hyper::header::HOST, &self.authority);
        if let Some(token) = token {
            builder = builder.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match json_body {
            Some(b) => {
                builder = builder.header(hyper::header::CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(b))
            }
            None => Full::new(Bytes::new()),
        };
        self.sender.ready().await?;
        let response = self.sender.send_request(builder.body(body)?).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(HttpResponse { status, body })
    }

    pub async fn post_json(
        &mut self,
        path: &str,
        token: Option<&str>,
        body: &impl serde::Serialize,
    ) -> Result<HttpResponse, ClientError> {
        let body = serde_json::to_vec(body).map_err(ClientError::Encode)?;
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn get(
        &mut self,
        path: &str,
        token: Option<&str>,
    ) -> Result<HttpResponse, ClientError> {
        self.request(Method::GET, path, token, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let split = |u: &str| split_http_url(u).expect("valid");
        assert_eq!(
            split("http://127.0.0.1:7373"),
            ("127.0.0.1:7373".into(), "".into())
        );
        assert_eq!(split("http://host:1/x/"), ("host:1".into(), "/x".into()));
        assert_eq!(split("http://host"), ("host:80".into(), "".into()));
        assert_eq!(split("http://[::1]:9/"), ("[::1]:9".into(), "".into()));
        assert_eq!(
            split("http://host:80/a/b"),
            ("host:80".into(), "/a/b".into())
        );
        assert!(split_http_url("https://x").is_err());
        assert!(split_http_url("http:///x").is_err());
        assert!(split_http_url("http://").is_err());
        assert!(split_http_url("http://host:99999").is_err());
        assert_eq!(
            split_http_url("ftp://x").expect_err("not http").to_string(),
            "the relay URL must start with http:// (got \"ftp://x\")"
        );
    }
}
