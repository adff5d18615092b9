//! The injection thread: takes jobs in order, records each id durably *before*
//! injecting (so a message is injected at most once, even across a crash), then
//! injects and reports. This is the one place where duplicates are recognised.
//!
//! It is a thread, not a task, because the injector's resources are thread-affine
//! (an X connection, a clipboard owner) and injecting blocks for as long as the
//! typing takes (about a second for 1,000 characters).

use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use tokio::sync::mpsc as tokio_mpsc;

use super::{InjectError, Injector, Method, Readiness};
use crate::agent::dedupe::SeenIds;
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
    /// Already injected before (a redelivery): skipped, nothing to report.
    Duplicate,
    Failed(InjectError),
}

/// The outcome of the job with this id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobResult {
    pub id: MessageId,
    pub outcome: Outcome,
}

/// Record the id, then inject: a duplicate is skipped, and an id that cannot be
/// recorded is not injected (at most once matters more than at least once here).
pub fn deliver(seen: &mut SeenIds, injector: &mut dyn Injector, job: &Job) -> Outcome {
    match seen.insert(job.id.as_str()) {
        Ok(false) => Outcome::Duplicate,
        Ok(true) => match injector.inject(&job.text) {
            Ok(method) => Outcome::Injected(method),
            Err(e) => Outcome::Failed(e),
        },
        Err(e) => Outcome::Failed(InjectError::Failed(format!(
            "cannot record the message id, not typing it: {e}"
        ))),
    }
}

/// What the injection thread is asked to do.
enum Work {
    Inject(Job),
    /// Check again whether injection works here (the settings changed).
    Refresh,
}

/// A handle to the injection thread.
pub struct InjectorThread {
    jobs: mpsc::Sender<Work>,
    readiness: Arc<Mutex<Readiness>>,
}

impl InjectorThread {
    /// Start the thread. `make` builds the injector on the thread itself (X
    /// connections and clipboard owners belong to the thread that made them).
    pub fn spawn<F>(
        make: F,
        mut seen: SeenIds,
        results: tokio_mpsc::UnboundedSender<JobResult>,
    ) -> std::io::Result<InjectorThread>
    where
        F: FnOnce() -> Box<dyn Injector> + Send + 'static,
    {
        let (jobs, rx) = mpsc::channel::<Work>();
        let readiness = Arc::new(Mutex::new(Readiness::Starting));
        let shared = readiness.clone();
        let set = move |r: Readiness| *lock(&shared) = r;
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
                    };
                    let outcome = deliver(&mut seen, injector.as_mut(), &job);
                    match &outcome {
                        Outcome::Failed(InjectError::Unavailable(why)) => {
                            set(Readiness::Unavailable(why.clone()))
                        }
                        Outcome::Injected(_) => set(injector.readiness()),
                        _ => {}
                    }
                    if results
                        .send(JobResult {
                            id: job.id,
                            outcome,
                        })
                        .is_err()
                    {
                        break;
                    }
                }
            })?;
        Ok(InjectorThread { jobs, readiness })
    }

    /// Whether injection works here, and what it does or why it cannot.
    pub fn readiness(&self) -> Readiness {
        lock(&self.readiness).clone()
    }

    /// Queue a job; `false` if the thread has stopped.
    pub fn submit(&self, job: Job) -> bool {
        self.jobs.send(Work::Inject(job)).is_ok()
    }

    /// Check again, in turn with the messages, whether injection works here.
    pub fn refresh(&self) {
        let _ = self.jobs.send(Work::Refresh);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl Injector for Recorder {
        fn inject(&mut self, text: &str) -> Result<Method, InjectError> {
            if text == "fail" {
                return Err(InjectError::Failed("no focus".into()));
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

    #[test]
    fn a_duplicate_id_is_not_injected_again() {
        let typed = Arc::new(Mutex::new(Vec::new()));
        let mut injector = Recorder(typed.clone());
        let mut seen = SeenIds::in_memory(10);
        let a = job("a", "one");
        assert_eq!(
            deliver(&mut seen, &mut injector, &a),
            Outcome::Injected(Method::Typed)
        );
        assert_eq!(deliver(&mut seen, &mut injector, &a), Outcome::Duplicate);
        assert_eq!(*lock(&typed), ["one"]);
    }

    #[tokio::test]
    async fn the_thread_injects_in_order_once_per_id() {
        let typed = Arc::new(Mutex::new(Vec::new()));
        let (tx, mut rx) = tokio_mpsc::unbounded_channel();
        let sink = typed.clone();
        let thread = InjectorThread::spawn(
            move || Box::new(Recorder(sink)),
            SeenIds::in_memory(100),
            tx,
        )
        .expect("thread");
        for (id, text) in [("a", "one"), ("b", "two"), ("a", "one"), ("c", "fail")] {
            assert!(thread.submit(job(id, text)));
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
