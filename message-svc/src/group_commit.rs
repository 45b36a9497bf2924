//! Group commit: jobs for one key (a channel) are written in batches, one batch at a time and in
//! arrival order, each batch in one transaction. While a batch commits, the jobs that arrive
//! queue up and become the next batch, so a busy channel pays one fsync for many messages and a
//! quiet one pays nothing extra (a batch of one is written at once, without waiting to fill).
//!
//! Each busy key has a writer task; it ends after a while without work. The task, not the
//! caller, runs the write: a caller that goes away does not cut a batch in half.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Each key's queue, read by its writer.
type Queues<J, R> = Arc<Mutex<HashMap<Uuid, mpsc::UnboundedSender<Job<J, R>>>>>;

/// Jobs queued per key and the writer tasks that drain them.
pub struct GroupCommit<J, R> {
    queues: Queues<J, R>,
    max_batch: usize,
    idle: Duration,
}

struct Job<J, R> {
    input: J,
    reply: oneshot::Sender<R>,
}

/// The key's writer stopped before answering (it panicked): the job may or may not be written.
#[derive(Debug)]
pub struct WriterStopped;

impl<J: Send + 'static, R: Send + 'static> GroupCommit<J, R> {
    /// Batches of at most `max_batch` jobs; a key's writer ends after `idle` without work.
    pub fn new(max_batch: usize, idle: Duration) -> Self {
        Self {
            queues: Arc::default(),
            max_batch: max_batch.max(1),
            idle,
        }
    }

    /// Queues `input` for `key` and waits for its result. `write` takes a batch in arrival order
    /// and returns one result per job, in the same order; the first job for an idle key starts
    /// its writer with it (every caller for a key passes the same function).
    pub async fn submit<W, F>(&self, key: Uuid, input: J, write: W) -> Result<R, WriterStopped>
    where
        W: Fn(Uuid, Vec<J>) -> F + Send + 'static,
        F: Future<Output = Vec<R>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.enqueue(key, Job { input, reply }, write);
        answer.await.map_err(|_| WriterStopped)
    }

    /// Hands the job to the key's writer, starting one when there is none (or the last one
    /// stopped). Jobs are queued under the lock, so a writer that finds its queue empty under
    /// the same lock may safely end.
    fn enqueue<W, F>(&self, key: Uuid, job: Job<J, R>, write: W)
    where
        W: Fn(Uuid, Vec<J>) -> F + Send + 'static,
        F: Future<Output = Vec<R>> + Send + 'static,
    {
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        let job = match queues.get(&key) {
            Some(queue) => match queue.send(job) {
                Ok(()) => return,
                Err(mpsc::error::SendError(job)) => job,
            },
            None => job,
        };
        let (queue, jobs) = mpsc::unbounded_channel();
        let _ = queue.send(job);
        queues.insert(key, queue);
        let writer = Writer {
            key,
            jobs,
            queues: self.queues.clone(),
            max_batch: self.max_batch,
            idle: self.idle,
        };
        tokio::spawn(writer.run(write));
    }

    /// Keys with a writer right now.
    #[cfg(test)]
    fn writers(&self) -> usize {
        self.queues.lock().map_or(0, |queues| queues.len())
    }
}

struct Writer<J, R> {
    key: Uuid,
    jobs: mpsc::UnboundedReceiver<Job<J, R>>,
    queues: Queues<J, R>,
    max_batch: usize,
    idle: Duration,
}

impl<J, R> Writer<J, R> {
    async fn run<W, F>(mut self, write: W)
    where
        W: Fn(Uuid, Vec<J>) -> F,
        F: Future<Output = Vec<R>>,
    {
        while let Some(first) = self.next().await {
            let mut batch = vec![first];
            while batch.len() < self.max_batch {
                match self.jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let (inputs, replies): (Vec<J>, Vec<_>) =
                batch.into_iter().map(|job| (job.input, job.reply)).unzip();
            let results = write(self.key, inputs).await;
            debug_assert_eq!(results.len(), replies.len(), "one result per job");
            for (reply, result) in replies.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
    }

    /// The next job, or `None` once the writer has been idle long enough and has left the map.
    async fn next(&mut self) -> Option<Job<J, R>> {
        loop {
            if let Ok(job) = tokio::time::timeout(self.idle, self.jobs.recv()).await {
                return job;
            }
            let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
            if self.jobs.is_empty() {
                queues.remove(&self.key);
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const IDLE: Duration = Duration::from_millis(100);

    type Batches = Arc<Mutex<Vec<Vec<u32>>>>;

    /// Doubles each input after a short "commit", recording each batch.
    fn doubler(
        batches: Batches,
    ) -> impl Fn(Uuid, Vec<u32>) -> std::pin::Pin<Box<dyn Future<Output = Vec<u32>> + Send>>
    + Send
    + 'static {
        move |_, inputs| {
            let batches = batches.clone();
            Box::pin(async move {
                batches.lock().unwrap().push(inputs.clone());
                tokio::time::sleep(Duration::from_millis(20)).await;
                inputs.into_iter().map(|i| i * 2).collect()
            })
        }
    }

    #[tokio::test]
    async fn jobs_arriving_during_a_write_share_the_next_batch_in_order() {
        let commit = GroupCommit::new(64, IDLE);
        let batches = Batches::default();
        let key = Uuid::now_v7();
        // `join_all` polls in order, so the jobs arrive in order.
        let results = futures::future::join_all(
            (0..50u32).map(|i| commit.submit(key, i, doubler(batches.clone()))),
        )
        .await;
        let results: Vec<u32> = results.into_iter().map(Result::unwrap).collect();
        assert_eq!(results, (0..50).map(|i| i * 2).collect::<Vec<_>>());
        let batches = batches.lock().unwrap().clone();
        assert!(batches.len() < 50, "no batching happened: {batches:?}");
        assert_eq!(batches.concat(), (0..50).collect::<Vec<_>>());
        assert_eq!(commit.writers(), 1);
    }

    #[tokio::test]
    async fn batches_never_exceed_the_limit_and_keys_are_independent() {
        let commit = Arc::new(GroupCommit::new(4, IDLE));
        let batches = Batches::default();
        let keys = [Uuid::now_v7(), Uuid::now_v7()];
        let tasks: Vec<_> = (0..40u32)
            .map(|i| {
                let (commit, batches) = (commit.clone(), batches.clone());
                let key = keys[i as usize % 2];
                tokio::spawn(async move { commit.submit(key, i, doubler(batches)).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let batches = batches.lock().unwrap().clone();
        assert!(
            batches.iter().all(|b| (1..=4).contains(&b.len())),
            "{batches:?}"
        );
        assert_eq!(commit.writers(), 2);
    }

    #[tokio::test]
    async fn an_idle_writer_ends_and_a_later_job_starts_a_new_one() {
        let commit = GroupCommit::new(8, IDLE);
        let batches = Batches::default();
        let key = Uuid::now_v7();
        assert_eq!(
            commit
                .submit(key, 1, doubler(batches.clone()))
                .await
                .unwrap(),
            2
        );
        assert_eq!(commit.writers(), 1);
        tokio::time::sleep(IDLE * 3).await;
        assert_eq!(commit.writers(), 0);
        assert_eq!(commit.submit(key, 3, doubler(batches)).await.unwrap(), 6);
    }

    #[tokio::test]
    async fn a_writer_that_panics_fails_its_batch_and_the_next_job_gets_a_new_writer() {
        let commit = GroupCommit::new(8, IDLE);
        let key = Uuid::now_v7();
        let calls = Arc::new(AtomicUsize::new(0));
        let write = {
            let calls = calls.clone();
            move |_: Uuid, inputs: Vec<u32>| {
                let first = calls.fetch_add(1, Ordering::SeqCst) == 0;
                async move {
                    assert!(!first, "the first write fails");
                    inputs
                }
            }
        };
        assert!(commit.submit(key, 1, write.clone()).await.is_err());
        assert_eq!(commit.submit(key, 2, write).await.unwrap(), 2);
    }
}
