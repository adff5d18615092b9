//! The injection thread: takes jobs in order and, for each, marks it started in the
//! [`Inbox`] *before* the first key (so it is typed at most once, even across a
//! crash), records how far typing got as it goes, stores the result, then reports
//! it. The inbox is the one place where duplicates are recognised.
//!
//! It is a thread, not a task, because the injector's resources are thread-affine
//! (an X connection, a clipboard owner) and injecting blocks for as long as the
//! typing takes (about a second for 1,000 characters).
//!
//! When the agent stops, the message being typed is interrupted at the next batch
//! of keys (and reported as such), and the ones not started yet stay in the inbox,
//! received, for the next start.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use tokio::sync::{mpsc as tokio_mpsc, watch};

use super::progress::Progress;
use super::{InjectError, Injector, Method, Readiness};
use crate::agent::inbox::{Inbox, StoredResult};
use crate::protocol::ws::Target;
use crate::protocol::MessageId;
use crate::sync::lock;

/// A message for the injector thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: MessageId,
    pub text: String,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Injected(Method),
    /// Not waiting any more (started or finished before: a redelivery, or a
    /// recovered message): skipped, nothing to report.
    Duplicate,
    /// The agent is stopping: not started, kept in the inbox for the next start.
    Deferred,
    Failed(InjectError),
}

impl Outcome {
    /// The result to store and report, for outcomes that have one.
    pub fn result(&self) -> Option<StoredResult> {
        match self {
            Outcome::Injected(_) => Some(StoredResult::injected()),
            Outcome::Failed(e) => Some(StoredResult::failed(e.to_string())),
            Outcome::Duplicate | Outcome::Deferred => None,
        }
    }
}

/// The outcome of the job with this id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobResult {
    pub id: MessageId,
    pub outcome: Outcome,
    /// Where it went, when the injector can tell.
    pub target: Option<Target>,
    /// What went in, when that is not the text as said.
    pub typed: Option<String>,
}

/// The inbox shared by the connection (which stores arrivals) and this thread.
pub type SharedInbox = Arc<Mutex<Inbox>>;

/// Records progress in the inbox and says stop once the agent is stopping.
struct Tracker<'a> {
    inbox: &'a SharedInbox,
    id: &'a MessageId,
    stopping: &'a AtomicBool,
}

impl Progress for Tracker<'_> {
    fn advanced(&mut self, typed: usize) -> bool {
        if let Err(e) = lock(self.inbox).progress(self.id, typed) {
            tracing::warn!("cannot record typing progress: {e}");
        }
        !self.stopping.load(Ordering::Acquire)
    }
}

/// Start, inject, store the result. A message that is not waiting in the inbox
/// any more is skipped; one that cannot be marked started is not injected (at most
/// once matters more than at least once here).
pub fn deliver(
    inbox: &SharedInbox,
    injector: &mut dyn Injector,
    job: &Job,
    stopping: &AtomicBool,
) -> JobResult {
    let (outcome, target) = deliver_one(inbox, injector, job, stopping);
    JobResult {
        id: job.id.clone(),
        outcome,
        target,
        typed: injector.take_typed(),
    }
}

fn deliver_one(
    inbox: &SharedInbox,
    injector: &mut dyn Injector,
    job: &Job,
    stopping: &AtomicBool,
) -> (Outcome, Option<Target>) {
    if stopping.load(Ordering::Acquire) {
        return (Outcome::Deferred, None);
    }
    let started = lock(inbox).start(&job.id);
    let outcome = match started {
        Ok(false) => return (Outcome::Duplicate, None),
        Ok(true) => {
            let mut tracker = Tracker {
                inbox,
                id: &job.id,
                stopping,
            };
            match injector.inject(&job.text, &mut tracker) {
                Ok(method) => Outcome::Injected(method),
                Err(e) => Outcome::Failed(e),
            }
        }
        Err(e) => Outcome::Failed(InjectError::Failed(format!(
            "cannot record the message on this desktop, not typing it: {e}"
        ))),
    };
    // Taken now, so that it is never reported for another message, and stored
    // with the result, so that a result sent again after a crash still has it.
    let target = injector.take_target();
    if let Some(result) = outcome.result() {
        let result = result.with_target(target.clone());
        if let Err(e) = lock(inbox).finish(&job.id, &result) {
            // Still reported now; only a crash before the relay has it loses it.
            tracing::warn!(id = %job.id, "cannot store the result: {e}");
        }
    }
    (outcome, target)
}

/// What the injection thread is asked to do.
enum Work {
    Inject(Job),
    /// Check again whether injection works here (the settings changed).
    Refresh,
    /// The user allows typing (the portal's dialog), then check again.
    Grant,
}

/// A handle to the injection thread.
pub struct InjectorThread {
    jobs: mpsc::Sender<Work>,
    /// Watched by the window, which shows each change live.
    readiness: watch::Sender<Readiness>,
    stopping: Arc<AtomicBool>,
}

impl InjectorThread {
    /// Start the thread. `make` builds the injector on the thread itself (X
    /// connections and clipboard owners belong to the thread that made them).
    pub fn spawn<F>(
        make: F,
        inbox: SharedInbox,
        results: tokio_mpsc::UnboundedSender<JobResult>,
    ) -> std::io::Result<InjectorThread>
    where
        F: FnOnce() -> Box<dyn Injector> + Send + 'static,
    {
        let (jobs, rx) = mpsc::channel::<Work>();
        let readiness = watch::Sender::new(Readiness::Starting);
        let stopping = Arc::new(AtomicBool::new(false));
        let shared = readiness.clone();
        let stop = stopping.clone();
        let set = move |r: Readiness| {
            shared.send_if_modified(|old| {
                let changed = *old != r;
                *old = r;
                changed
            });
        };
        thread::Builder::new()
            .name("saytype-inject".into())
            .spawn(move || {
                let mut injector = make();
                let first = injector.readiness();
                match &first {
                    Readiness::Unavailable(e) => tracing::warn!("injector: {e}"),
                    r => tracing::info!("injector: {}", r.text()),
                }
                set(first);
                for work in rx {
                    let job = match work {
                        Work::Inject(job) => job,
                        Work::Refresh => {
                            set(injector.readiness());
                            continue;
                        }
                        Work::Grant => {
                            if let Err(e) = injector.grant() {
                                tracing::warn!("injector: not allowed: {e}");
                            }
                            set(injector.readiness());
                            continue;
                        }
                    };
                    let done = deliver(&inbox, injector.as_mut(), &job, &stop);
                    match &done.outcome {
                        Outcome::Failed(InjectError::Unavailable(why)) => {
                            set(Readiness::Unavailable(why.clone()))
                        }
                        Outcome::Failed(InjectError::NeedsGrant(why)) => {
                            set(Readiness::NeedsGrant(why.clone()))
                        }
                        Outcome::Injected(_) => set(injector.readiness()),
                        _ => {}
                    }
                    if results.send(done).is_err() {
                        break;
                    }
                }
            })?;
        Ok(InjectorThread {
            jobs,
            readiness,
            stopping,
        })
    }

    /// Whether injection works here, and what it does or why it cannot.
    pub fn readiness(&self) -> Readiness {
        self.readiness.borrow().clone()
    }

    /// The readiness, and word of every change.
    pub fn readiness_watch(&self) -> watch::Receiver<Readiness> {
        self.readiness.subscribe()
    }

    /// Queue a job; `false` if the thread has stopped.
    pub fn submit(&self, job: Job) -> bool {
        self.jobs.send(Work::Inject(job)).is_ok()
    }

    /// Check again, in turn with the messages, whether injection works here.
    pub fn refresh(&self) {
        let _ = self.jobs.send(Work::Refresh);
    }

    /// The user allows typing: the route asks (the portal's dialog), in turn
    /// with the messages; the readiness follows.
    pub fn grant(&self) {
        let _ = self.jobs.send(Work::Grant);
    }

    /// The agent is stopping: interrupt the message being typed at its next batch
    /// of keys, and start no other (they stay in the inbox).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl Injector for Recorder {
        fn inject(
            &mut self,
            text: &str,
            progress: &mut dyn Progress,
        ) -> Result<Method, InjectError> {
            if text == "fail" {
                return Err(InjectError::Failed("no focus".into()));
            }
            let total = text.chars().count();
            for typed in 1..=total {
                if !progress.advanced(typed) {
                    return Err(InjectError::Interrupted { typed, total });
                }
            }
            lock(&self.0).push(text.to_owned());
            Ok(Method::Typed)
        }
        fn readiness(&mut self) -> Readiness {
            Readiness::Ready("recorder".into())
        }
    }

    fn job(id: &str, text: &str) -> Job {
        Job {
            id: MessageId::parse(id).expect("id"),
            text: text.into(),
        }
    }

    fn inbox_with(jobs: &[&Job]) -> SharedInbox {
        let mut inbox = Inbox::in_memory().expect("inbox");
        for j in jobs {
            inbox.receive(&j.id, &j.text, 1).expect("receive");
        }
        Arc::new(Mutex::new(inbox))
    }

    #[test]
    fn a_message_is_injected_once_and_its_result_stored() {
        let typed = Arc::new(Mutex::new(Vec::new()));
        let mut injector = Recorder(typed.clone());
        let a = job("a", "one");
        let inbox = inbox_with(&[&a]);
        let go = AtomicBool::new(false);
        assert_eq!(
            deliver(&inbox, &mut injector, &a, &go).outcome,
            Outcome::Injected(Method::Typed)
        );
        assert_eq!(
            deliver(&inbox, &mut injector, &a, &go).outcome,
            Outcome::Duplicate
        );
        assert_eq!(*lock(&typed), ["one"]);
        let unreported = lock(&inbox).unreported().expect("unreported");
        assert_eq!(unreported, [(a.id.clone(), StoredResult::injected())]);
        assert_eq!(
            lock(&inbox).state_of("a").expect("state"),
            Some(("done".into(), 3)),
            "progress was recorded as it went"
        );
    }

    #[test]
    fn a_stopping_agent_interrupts_the_message_and_defers_the_rest() {
        let mut injector = Recorder(Arc::new(Mutex::new(Vec::new())));
        let (a, b) = (job("a", "abcdef"), job("b", "later"));
        let inbox = inbox_with(&[&a, &b]);
        let stop = AtomicBool::new(true);
        assert_eq!(
            deliver(&inbox, &mut injector, &b, &stop).outcome,
            Outcome::Deferred
        );
        stop.store(false, Ordering::Release);
        struct StopAfter<'a>(&'a AtomicBool, Recorder);
        impl Injector for StopAfter<'_> {
            fn inject(&mut self, t: &str, p: &mut dyn Progress) -> Result<Method, InjectError> {
                self.0.store(true, Ordering::Release);
                self.1.inject(t, p)
            }
            fn readiness(&mut self) -> Readiness {
                Readiness::Starting
            }
        }
        let mut stopping = StopAfter(&stop, injector_recorder());
        let outcome = deliver(&inbox, &mut stopping, &a, &stop).outcome;
        assert_eq!(
            outcome,
            Outcome::Failed(InjectError::Interrupted { typed: 1, total: 6 })
        );
        let mut inbox = lock(&inbox);
        let recovery = inbox.recover().expect("recover");
        assert_eq!(recovery.waiting.len(), 1, "b waits for the next start");
        assert_eq!(recovery.waiting[0].id.as_str(), "b");
        let (_, result) = &inbox.unreported().expect("unreported")[0];
        assert!(result
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("interrupted after 1 of 6 characters")));
        drop(injector);
    }

    fn injector_recorder() -> Recorder {
        Recorder(Arc::new(Mutex::new(Vec::new())))
    }

    #[tokio::test]
    async fn the_thread_injects_in_order_once_per_id() {
        let typed = Arc::new(Mutex::new(Vec::new()));
        let (tx, mut rx) = tokio_mpsc::unbounded_channel();
        let sink = typed.clone();
        let jobs = [job("a", "one"), job("b", "two"), job("c", "fail")];
        let inbox = inbox_with(&jobs.iter().collect::<Vec<_>>());
        let thread =
            InjectorThread::spawn(move || Box::new(Recorder(sink)), inbox, tx).expect("thread");
        for j in [&jobs[0], &jobs[1], &jobs[0], &jobs[2]] {
            assert!(thread.submit(j.clone()));
        }
        let mut outcomes = Vec::new();
        for _ in 0..4 {
            let r = rx.recv().await.expect("outcome");
            outcomes.push((r.id.to_string(), r.outcome));
        }
        let typed_ok = Outcome::Injected(Method::Typed);
        assert_eq!(outcomes[0], ("a".into(), typed_ok.clone()));
        assert_eq!(outcomes[1], ("b".into(), typed_ok));
        assert_eq!(
            outcomes[2],
            ("a".into(), Outcome::Duplicate),
            "a duplicate is skipped"
        );
        assert_eq!(
            outcomes[3],
            (
                "c".into(),
                Outcome::Failed(InjectError::Failed("no focus".into()))
            )
        );
        assert_eq!(*lock(&typed), ["one", "two"]);
        assert_eq!(thread.readiness(), Readiness::Ready("recorder".into()));
    }
}
