//! The inbox's states and recovery, against a real in-memory SQLite.

use super::*;

fn id(s: &str) -> MessageId {
    MessageId::parse(s).expect("id")
}

#[test]
fn a_message_moves_from_received_to_reported_once() {
    let mut inbox = Inbox::in_memory().expect("inbox");
    assert_eq!(
        inbox.receive(&id("a"), "héllo", 1).expect("rx"),
        Arrival::New
    );
    assert_eq!(
        inbox.receive(&id("a"), "héllo", 2).expect("rx"),
        Arrival::Pending,
        "a redelivery while waiting is not typed again"
    );
    assert!(inbox.start(&id("a")).expect("start"));
    assert!(
        !inbox.start(&id("a")).expect("start"),
        "started at most once"
    );
    inbox.progress(&id("a"), 3).expect("progress");
    assert_eq!(
        inbox.state_of("a").expect("state"),
        Some(("started".into(), 3))
    );
    inbox
        .finish(&id("a"), &StoredResult::injected())
        .expect("finish");
    assert_eq!(
        inbox.receive(&id("a"), "héllo", 3).expect("rx"),
        Arrival::Done(StoredResult::injected()),
        "a redelivery of a finished id is answered with its result"
    );
    assert_eq!(
        inbox.unreported().expect("unreported"),
        [(id("a"), StoredResult::injected())]
    );
    inbox.mark_reported("a").expect("reported");
    assert!(inbox.unreported().expect("unreported").is_empty());
}

#[test]
fn recovery_types_the_waiting_and_fails_the_interrupted() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("agent.db");
    {
        let mut inbox = Inbox::open(&path).expect("open");
        for (i, text) in ["one", "two", "three", "four"].iter().enumerate() {
            inbox
                .receive(&id(&format!("m{i}")), text, i as i64)
                .expect("rx");
        }
        inbox.start(&id("m0")).expect("start");
        inbox
            .finish(&id("m0"), &StoredResult::injected())
            .expect("f");
        inbox.start(&id("m1")).expect("start");
        inbox.progress(&id("m1"), 2).expect("progress");
        // The process dies here: m1 half typed, m2 and m3 waiting.
    }
    let mut inbox = Inbox::open(&path).expect("reopen");
    let recovery = inbox.recover().expect("recover");
    let waiting: Vec<&str> = recovery.waiting.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(waiting, ["m2", "m3"], "in order");
    assert_eq!(recovery.waiting[0].text, "three");
    assert_eq!(
        recovery.interrupted,
        [(id("m1"), StoredResult::failed(interrupted_reason(2, 3)))]
    );
    assert!(!inbox.start(&id("m1")).expect("start"), "never typed again");
    let unreported: Vec<String> = inbox
        .unreported()
        .expect("unreported")
        .into_iter()
        .map(|(i, _)| i.to_string())
        .collect();
    assert_eq!(unreported, ["m0", "m1"]);
    assert!(inbox.recover().expect("again").interrupted.is_empty());
}

#[test]
fn ids_of_the_old_seen_table_are_taken_over() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("agent.db");
    {
        let db = Connection::open(&path).expect("db");
        db.execute_batch(
            "CREATE TABLE seen (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE);
             INSERT INTO seen (id) VALUES ('old1'), ('old2');",
        )
        .expect("old schema");
    }
    let mut inbox = Inbox::open(&path).expect("open");
    assert_eq!(
        inbox.receive(&id("old1"), "x", 1).expect("rx"),
        Arrival::Done(StoredResult::injected())
    );
    assert!(inbox.unreported().expect("unreported").is_empty());
    drop(inbox);
    assert!(
        Inbox::open(&path).is_ok(),
        "opens again without the old table"
    );
}

#[test]
fn pruning_keeps_the_newest_reported_and_everything_open() {
    let mut inbox = Inbox::in_memory().expect("inbox");
    for i in 0..10 {
        let m = id(&format!("m{i}"));
        inbox.receive(&m, "t", i).expect("rx");
        if i < 8 {
            inbox.finish(&m, &StoredResult::injected()).expect("f");
            inbox.mark_reported(m.as_str()).expect("r");
        }
    }
    assert_eq!(inbox.prune(3).expect("prune"), 5);
    assert_eq!(inbox.state_of("m4").expect("s"), None);
    assert!(inbox.state_of("m5").expect("s").is_some());
    assert_eq!(inbox.recover().expect("rec").waiting.len(), 2);
}

#[test]
fn the_target_is_kept_with_the_result_also_in_an_older_inbox() {
    let db = Connection::open_in_memory().expect("db");
    // An inbox written before results kept their target.
    db.execute_batch(&SCHEMA.replace("    target       TEXT,\n", ""))
        .expect("old schema");
    let mut inbox = Inbox::with(db).expect("inbox");
    let target = Target {
        app: "XTerm".into(),
        title: Some("bash".into()),
        method: Some("pasted".into()),
    };
    inbox.receive(&id("a"), "ls", 1).expect("receive");
    let done = StoredResult::injected().with_target(Some(target));
    inbox.finish(&id("a"), &done).expect("finish");
    assert_eq!(
        inbox.unreported().expect("unreported"),
        [(id("a"), done.clone())]
    );
    assert_eq!(
        inbox.receive(&id("a"), "ls", 2).expect("again"),
        Arrival::Done(done)
    );
}
