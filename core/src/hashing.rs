//! Password hashing, bounded. Argon2id costs ~19 MiB and tens of milliseconds
//! of one core per call, so an unbounded number of them at once is how a
//! flood of sign-ins takes the service down (memory, then every queue behind
//! the blocking pool). Here a fixed set of threads hashes, at most `workers`
//! at a time; at most `queue` more wait; past that a caller is refused at once
//! and answers 503 with `Retry-After`.
//!
//! A caller first takes a [`Slot`] (a place in the queue), so it can be
//! refused before it reserves anything else (an attempt against a throttle);
//! then it hashes with the slot, holding no database connection while it waits.
//!
//! The hashing threads run at a lower scheduling priority (nice
//! [`HASHING_NICENESS`]) than the request threads: under a flood of
//! passwords the cores stay busy hashing, yet a cheap request (a code, a
//! page) is scheduled first and answers in milliseconds instead of queueing
//! behind a core's worth of argon2. With nothing else to run, hashing still
//! has every core it is given.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::rules::password;
use crate::telemetry;

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads and the places in their queue.
#[derive(Clone)]
pub struct Hasher {
    jobs: mpsc::Sender<Job>,
    places: Arc<Semaphore>,
    capacity: usize,
    refusals: Arc<Refusals>,
}

/// Callers refused since the last report, and when that report was (unix
/// seconds, 0 before the first).
#[derive(Default)]
struct Refusals {
    count: AtomicU64,
    reported_at: AtomicI64,
}

/// Refusals are reported (audited) at most this often, in seconds: a flood
/// writes one entry a minute, not one per request.
pub const REFUSALS_REPORTED_EVERY: i64 = 60;

/// A place in the hashing queue, held from before the work is reserved until
/// the hash is done.
pub struct Slot {
    hasher: Hasher,
    _place: OwnedSemaphorePermit,
}

/// The queue is full: answer 503 and come back after `RETRY_AFTER_SECONDS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overloaded;

pub const RETRY_AFTER_SECONDS: i64 = 2;

/// How long a refused caller waits for its 503. Answering at once let a
/// flood of 200 connections that ignore `Retry-After` send 23,000 requests a
/// second, whose handling (at normal priority) left the hashing threads a
/// tenth of the cores; held for a second, each connection costs a timer.
pub const REFUSAL_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// How much lower the hashing threads' priority is than the process's
/// (Linux: added to their nice value; the kernel then gives request threads
/// about 9 parts in 10 of a contended core).
pub const HASHING_NICENESS: i32 = 10;

/// Lowers the calling thread's scheduling priority by [`HASHING_NICENESS`].
/// On Linux a nice value belongs to a thread, not the whole process.
/// The lowest priority a Linux thread can have.
#[cfg(target_os = "linux")]
const MOST_NICE: i32 = 19;

#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    // SAFETY: gettid and setpriority take plain integers and only change
    // this thread's scheduling; a failure (a sandbox refusing it) leaves
    // the priority as it was, which is correct, only less responsive.
    unsafe {
        let thread = libc::gettid() as libc::id_t;
        let now = libc::getpriority(libc::PRIO_PROCESS, thread);
        libc::setpriority(
            libc::PRIO_PROCESS,
            thread,
            (now + HASHING_NICENESS).min(MOST_NICE),
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {}

impl Hasher {
    /// `workers` threads (at least one) and `queue` waiting places beyond them.
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        let (jobs, inbox) = mpsc::channel::<Job>();
        let inbox = Arc::new(Mutex::new(inbox));
        for n in 0..workers {
            let inbox = Arc::clone(&inbox);
            std::thread::Builder::new()
                .name(format!("gatehouse-hash-{n}"))
                .spawn(move || {
                    lower_this_threads_priority();
                    loop {
                        // The lock is held only while taking the next job.
                        let job = inbox.lock().map(|inbox| inbox.recv());
                        match job {
                            Ok(Ok(job)) => job(),
                            _ => return,
                        }
                    }
                })
                .expect("start a hashing thread");
        }
        Self {
            jobs,
            places: Arc::new(Semaphore::new(workers + queue)),
            capacity: workers + queue,
            refusals: Arc::default(),
        }
    }

    /// Hashes waiting or running now, and how many places there are.
    pub fn load(&self) -> (usize, usize) {
        let free = self.places.available_permits();
        (self.capacity.saturating_sub(free), self.capacity)
    }

    /// A place in the queue, or [`Overloaded`] when every place is taken.
    pub fn slot(&self) -> Result<Slot, Overloaded> {
        let place = Arc::clone(&self.places)
            .try_acquire_owned()
            .map_err(|_| Overloaded)?;
        Ok(Slot {
            hasher: self.clone(),
            _place: place,
        })
    }

    /// Counts a password check refused for want of a place; when it is time
    /// for a report, how many were refused since the last one (this one
    /// included) and when that was: at the first refusal after a quiet
    /// minute, then at most once every [`REFUSALS_REPORTED_EVERY`] seconds
    /// (one caller gets the sum; the others `None`). The refusals after a
    /// flood's last report wait for the next overload; the metric
    /// `gatehouse_sign_ins_total{outcome="unavailable"}` has them at once.
    pub fn refusal(&self, now: i64) -> Option<(u64, i64)> {
        self.refusals.count.fetch_add(1, Ordering::AcqRel);
        let last = self.refusals.reported_at.load(Ordering::Acquire);
        if now - last < REFUSALS_REPORTED_EVERY {
            return None;
        }
        self.refusals
            .reported_at
            .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
            .ok()?;
        Some((self.refusals.count.swap(0, Ordering::AcqRel), last))
    }

    /// Hashes with a place of its own (for callers with nothing to reserve first).
    pub async fn hash(&self, password: &str) -> Result<String, Overloaded> {
        Ok(self.slot()?.hash(password).await)
    }
}

impl Slot {
    async fn run<T: Send + 'static>(self, work: impl FnOnce() -> T + Send + 'static) -> T {
        let (done, result) = oneshot::channel();
        let queued = Instant::now();
        let job: Job = Box::new(move || {
            telemetry::hash_wait(queued.elapsed());
            let _ = done.send(work());
        });
        self.hasher
            .jobs
            .send(job)
            .expect("the hashing threads live as long as the process");
        result.await.expect("a hashing job always answers")
    }

    pub async fn hash(self, password: &str) -> String {
        let password = password.to_string();
        self.run(move || password::hash(&password)).await
    }

    pub async fn verify(self, password: &str, stored_hash: &str) -> bool {
        let (password, stored_hash) = (password.to_string(), stored_hash.to_string());
        self.run(move || password::verify(&password, &stored_hash))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn places_are_bounded_and_come_back() {
        let hasher = Hasher::new(1, 1);
        let first = hasher.slot().expect("the worker's place");
        let second = hasher.slot().expect("the queue's place");
        assert_eq!(hasher.slot().err(), Some(Overloaded));
        drop(first);
        let third = hasher.slot().expect("a freed place");
        let hash = second.hash("correct horse battery").await;
        assert!(third.verify("correct horse battery", &hash).await);
        assert!(hasher.slot().is_ok(), "places return when the work is done");
    }

    #[test]
    fn refusals_are_reported_once_a_minute_with_their_sum() {
        let hasher = Hasher::new(1, 0);
        assert_eq!(hasher.refusal(1_000), Some((1, 0)), "the first is reported");
        assert_eq!(hasher.refusal(1_000), None, "the same second");
        assert_eq!(hasher.refusal(1_059), None, "within the minute");
        assert_eq!(hasher.refusal(1_060), Some((3, 1_000)), "the minute's sum");
        assert_eq!(hasher.refusal(1_061), None, "reported once");
        assert_eq!(
            hasher.refusal(1_200),
            Some((2, 1_060)),
            "after a quiet spell"
        );
    }

    /// The hashing threads' own nice value, read back from the kernel.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_below_request_threads() {
        let hasher = Hasher::new(1, 0);
        let niceness = |tid: libc::pid_t| {
            std::fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
                .map(|stat| {
                    // Field 19 (nice), counted after the ")" that ends the name.
                    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
                    after_name
                        .split_whitespace()
                        .nth(16)
                        .unwrap_or("")
                        .parse::<i32>()
                        .unwrap()
                })
                .unwrap()
        };
        // SAFETY: gettid takes nothing and returns the calling thread's id.
        let hashing = hasher
            .slot()
            .unwrap()
            .run(|| unsafe { libc::gettid() })
            .await;
        let request = unsafe { libc::gettid() };
        assert_eq!(
            niceness(hashing),
            (niceness(request) + HASHING_NICENESS).min(MOST_NICE)
        );
    }
}
