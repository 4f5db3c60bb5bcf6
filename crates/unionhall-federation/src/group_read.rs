//! The inbox's first question about every activity, "seen before, and who has
//! blocked its sender?", asked for many requests in one query by one reader
//! task, the way `group_commit.rs` writes their notes.
//!
//! One query per request cost a fifth of the inbox's throughput on SQLite
//! (each is a round trip to a connection's thread; docs/benchmarks.md). The
//! answer is read after the request arrived, as before, so a block committed
//! before an activity comes (by the CLI, say) still holds for it. A single
//! request on a quiet instance is asked at once, alone.

use crate::{Error, Result};
use tokio::sync::{mpsc, oneshot};
use unionhall_store::inbox_seen::{self, Before};
use unionhall_store::Store;
use url::Url;

/// Questions per query at most (two bound parameters each at most).
const MAX_BATCH: usize = 128;

/// Questions waiting for the reader; beyond this, asking waits.
const QUEUE: usize = 4 * MAX_BATCH;

struct Question {
    activity: Url,
    sender: Url,
    answer: oneshot::Sender<Result<Before>>,
}

/// The queue in front of the reader task. Cloning shares the one reader; it
/// ends when the last clone is dropped.
#[derive(Clone)]
pub struct GroupRead {
    questions: mpsc::Sender<Question>,
}

impl GroupRead {
    /// Starts the reader task (needs a tokio runtime).
    pub fn start(store: Store) -> Self {
        let (questions, queue) = mpsc::channel(QUEUE);
        tokio::spawn(reader(store, queue));
        Self { questions }
    }

    /// Whether `activity` was received before, and who blocked `sender`.
    pub async fn before(&self, activity: Url, sender: Url) -> Result<Before> {
        let (answer, answered) = oneshot::channel();
        let stopped = || Error::Internal("the inbox reader has stopped".into());
        self.questions
            .send(Question {
                activity,
                sender,
                answer,
            })
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

async fn reader(store: Store, mut queue: mpsc::Receiver<Question>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let asked: Vec<(&Url, &Url)> = batch.iter().map(|q| (&q.activity, &q.sender)).collect();
        match inbox_seen::before_each(&store, &asked).await {
            Ok(answers) => {
                for (question, before) in batch.drain(..).zip(answers) {
                    let _ = question.answer.send(Ok(before));
                }
            }
            Err(err) => {
                let message = format!("reading what the inbox has seen: {err}");
                for question in batch.drain(..) {
                    let _ = question.answer.send(Err(Error::Internal(message.clone())));
                }
            }
        }
    }
}
