//! A small HTTP/1.1 client over one keep-alive connection, for `saytype send`, the
//! benchmark and the tests. (hyper is already in the tree through axum; a full
//! client crate with TLS would add much for nothing: the relay speaks plain HTTP on
//! the LAN.)

use anyhow::{anyhow, bail, Context};
use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

/// `http://host:port[/base]` → (`host:port`, base path without a trailing slash).
pub fn split_http_url(url: &str) -> anyhow::Result<(String, String)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("the relay URL must start with http:// (got {url:?})"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    if authority.is_empty() {
        bail!("the relay URL has no host: {url:?}");
    }
    let authority = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((authority, path.to_owned()))
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
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_slice(&self.body).context("the relay's answer is not JSON")
    }
}

impl HttpClient {
    /// Connect to `http://host:port[/base]`.
    pub async fn connect(url: &str) -> anyhow::Result<HttpClient> {
        let (authority, base) = split_http_url(url)?;
        let stream = tokio::net::TcpStream::connect(&authority)
            .await
            .with_context(|| format!("cannot connect to the relay at {authority}"))?;
        stream.set_nodelay(true)?;
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
    ) -> anyhow::Result<HttpResponse> {
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
        body: &serde_json::Value,
    ) -> anyhow::Result<HttpResponse> {
        self.request(Method::POST, path, token, Some(serde_json::to_vec(body)?))
            .await
    }

    pub async fn get(&mut self, path: &str, token: Option<&str>) -> anyhow::Result<HttpResponse> {
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
        assert!(split_http_url("https://x").is_err());
        assert!(split_http_url("http:///x").is_err());
    }
}
