//! The tests' relay client: POST a transcription, read its status, wait for a
//! status. The one place that polls `/transcription/{id}`.

use std::time::Duration;

use saytype::client::{HttpClient, HttpResponse};
use serde_json::Value;

/// How long a message may take to reach a status (typing a long text included).
const SETTLE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(20);

/// A relay's HTTP API with a token. Cheap to clone; each call opens its own
/// connection, so it can be moved into a spawned task.
#[derive(Clone, Debug)]
pub struct RelayClient {
    pub url: String,
    token: String,
}

impl RelayClient {
    pub fn new(url: &str, token: &str) -> RelayClient {
        RelayClient {
            url: url.to_owned(),
            token: token.to_owned(),
        }
    }

    async fn http(&self) -> HttpClient {
        HttpClient::connect(&self.url).await.expect("http connect")
    }

    /// POST a transcription.
    pub async fn post(&self, body: &Value) -> HttpResponse {
        self.http()
            .await
            .post_json("/transcription", Some(&self.token), body)
            .await
            .expect("post")
    }

    /// POST from a task of its own (for a POST that waits for an ACK meanwhile).
    pub fn spawn_post(&self, body: Value) -> tokio::task::JoinHandle<HttpResponse> {
        let client = self.clone();
        tokio::spawn(async move { client.post(&body).await })
    }

    /// POST again (same id: idempotent) until the answer is no longer `queued`, e.g.
    /// while a local agent comes online; returns the last answer.
    pub async fn post_until_taken(&self, body: &Value) -> Value {
        let deadline = tokio::time::Instant::now() + SETTLE;
        loop {
            let answer = self.post(body).await.json().expect("json");
            if answer["status"] != "queued" || tokio::time::Instant::now() > deadline {
                return answer;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    pub async fn get(&self, path: &str) -> HttpResponse {
        self.http()
            .await
            .get(path, Some(&self.token))
            .await
            .expect("get")
    }

    /// `GET /transcription/{id}`, which must exist.
    pub async fn status(&self, id: &str) -> Value {
        let r = self.get(&format!("/transcription/{id}")).await;
        assert_eq!(r.status, 200, "GET /transcription/{id}: {:?}", r.body);
        r.json().expect("json")
    }

    /// Poll the status of `id` until it is `want` or final (`injected`, `failed`),
    /// or a generous deadline passes; returns the last status for the caller to
    /// assert on.
    pub async fn wait_status(&self, id: &str, want: &str) -> Value {
        let deadline = tokio::time::Instant::now() + SETTLE;
        loop {
            let s = self.status(id).await;
            let done = s["status"] == want || s["status"] == "injected" || s["status"] == "failed";
            if done || tokio::time::Instant::now() > deadline {
                return s;
            }
            tokio::time::sleep(POLL).await;
        }
    }
}
