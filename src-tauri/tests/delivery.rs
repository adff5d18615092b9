//! The durable queue: ordered, at-least-once delivery with many messages in flight,
//! nothing lost when an agent dies mid-burst or the relay restarts.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

async fn queue_offline(relay: &TestRelay, prefix: &str, n: usize) -> Vec<String> {
    let mut client = relay.client().await;
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("{prefix}-{i:04}");
        let r = client
            .post_json(
                "/transcription",
                Some(TOKEN),
                &json!({"text": format!("message {i}"), "id": id}),
            )
            .await
            .expect("post");
        assert_eq!(r.json().expect("json")["status"], "queued");
        ids.push(id);
    }
    ids
}

#[tokio::test]
async fn a_queue_is_sent_at_once_oldest_first_and_leaves_only_on_ack() {
    let relay = TestRelay::start().await;
    let ids = queue_offline(&relay, "b", 200).await;
    let (mut agent, registered) = Agent::register(&relay, DEFAULT_DEVICE).await;
    assert_eq!(registered["queued"], 200);
    // All 200 arrive before a single ACK is sent: many in flight, not one round trip
    // per message.
    let received = agent.take_transcriptions(200).await;
    assert_eq!(received, ids);
    assert_eq!(
        relay.devices().await[0]["queued"],
        200,
        "nothing leaves before its ACK"
    );
    for id in &received[..150] {
        agent.ack(id).await;
    }
    eventually("150 acked", || async {
        relay.devices().await[0]["queued"] == 50
    })
    .await;
    assert_eq!(relay.status_of(&ids[149]).await["status"], "delivered");
    assert_eq!(relay.status_of(&ids[150]).await["status"], "queued");
}

#[tokio::test]
async fn an_agent_dying_mid_burst_loses_nothing_and_gets_the_rest_in_order() {
    let relay = TestRelay::start().await;
    let ids = queue_offline(&relay, "m", 100).await;
    let (mut agent, _) = Agent::register(&relay, DEFAULT_DEVICE).await;
    let received = agent.take_transcriptions(100).await;
    // ACK the first 30 except #10 (ACKs may come out of order), then die.
    for (i, id) in received[..30].iter().enumerate() {
        if i != 10 {
            agent.ack(id).await;
        }
    }
    eventually("29 acked", || async {
        relay.devices().await[0]["queued"] == 71
    })
    .await;
    drop(agent);
    eventually("offline", || async {
        relay.devices().await[0]["online"] == false
    })
    .await;

    // New messages arrive while it is down; they queue behind the unACKed ones.
    let later = queue_offline(&relay, "n", 5).await;
    let (mut agent, registered) = Agent::register(&relay, DEFAULT_DEVICE).await;
    assert_eq!(registered["queued"], 76);
    let again = agent.take_transcriptions(76).await;
    let mut expected = vec![ids[10].clone()];
    expected.extend(ids[30..].iter().cloned());
    expected.extend(later);
    assert_eq!(again, expected);
    for id in &again {
        agent.ack(id).await;
    }
    eventually("all acked", || async {
        relay.devices().await[0]["queued"] == 0
    })
    .await;
    for id in ids.iter().chain(expected.iter()) {
        assert_eq!(relay.status_of(id).await["status"], "delivered", "{id}");
    }
}

#[tokio::test]
async fn live_messages_keep_their_order_behind_a_draining_queue() {
    let relay = TestRelay::with(Options {
        ack_timeout: Duration::from_millis(50),
        ..Options::default()
    })
    .await;
    let ids = queue_offline(&relay, "o", 50).await;
    let (mut agent, _) = Agent::register(&relay, DEFAULT_DEVICE).await;
    // Posted while the burst is still being read: must come after it.
    let r = relay.post(json!({"text": "live", "id": "o-live"})).await;
    assert_eq!(r.json().expect("json")["status"], "queued");
    let got = agent.take_transcriptions(51).await;
    assert_eq!(&got[..50], &ids[..]);
    assert_eq!(got[50], "o-live");
}

#[tokio::test]
async fn a_graceful_restart_keeps_the_queue_and_known_devices() {
    let relay = TestRelay::start().await;
    let (laptop, _) = Agent::register(&relay, "laptop").await;
    drop(laptop);
    eventually("offline", || async {
        relay.devices().await[1]["online"] == false
    })
    .await;
    let ids = queue_offline(&relay, "r", 20).await;
    relay
        .post(json!({"text": "for the laptop", "id": "r-laptop", "deviceId": "laptop"}))
        .await;
    let dir = relay.stop().await;

    let relay = TestRelay::on_dir(dir, Options::default()).await;
    let devices = relay.devices().await;
    assert_eq!(devices[0]["queued"], 20);
    assert_eq!(devices[1]["deviceId"], "laptop");
    assert_eq!(devices[1]["queued"], 1);
    let (mut agent, registered) = Agent::register(&relay, DEFAULT_DEVICE).await;
    assert_eq!(registered["queued"], 20);
    assert_eq!(agent.take_transcriptions(20).await, ids);
    let (mut laptop, _) = Agent::register(&relay, "laptop").await;
    assert_eq!(laptop.take_transcriptions(1).await, ["r-laptop"]);
}

#[tokio::test]
async fn concurrent_senders_to_many_agents_lose_and_double_nothing() {
    let relay = TestRelay::start().await;
    let devices: Vec<String> = (0..8).map(|i| format!("agent-{i}")).collect();
    let mut agents = Vec::new();
    for d in &devices {
        let (mut agent, _) = Agent::register(&relay, d).await;
        agents.push(tokio::spawn(async move {
            agent.ack_all(Duration::from_millis(1_500)).await
        }));
    }
    let mut senders = Vec::new();
    for s in 0..8 {
        let url = relay.http_url();
        let devices = devices.clone();
        senders.push(tokio::spawn(async move {
            let mut c = saytype::client::HttpClient::connect(&url)
                .await
                .expect("connect");
            for i in 0..50 {
                let device = &devices[(s + i) % devices.len()];
                let id = format!("c-{s}-{i}");
                let r = c
                    .post_json(
                        "/transcription",
                        Some(TOKEN),
                        &json!({"text": "x", "id": id, "deviceId": device}),
                    )
                    .await
                    .expect("post");
                assert_eq!(r.json().expect("json")["status"], "delivered");
            }
        }));
    }
    for s in senders {
        s.await.expect("sender");
    }
    let mut total = 0;
    for (i, a) in agents.into_iter().enumerate() {
        let got = a.await.expect("agent");
        let mut unique = got.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), got.len(), "no duplicates at agent {i}");
        for id in &got {
            let mut parts = id
                .split('-')
                .skip(1)
                .map(|p| p.parse::<usize>().expect("n"));
            let (s, n) = (parts.next().expect("s"), parts.next().expect("n"));
            assert_eq!((s + n) % 8, i, "{id} misrouted");
        }
        total += got.len();
    }
    assert_eq!(total, 400);
}
