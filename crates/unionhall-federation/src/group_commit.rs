//! Group commit of received notes: the inbox's writes are applied by one
//! writer task, many to a transaction and a handful of statements, instead of
//! each request taking its own turn at the database's write lock and its own
//! commit (its own fsync on SQLite).
//!
//! Each request still waits for its own note to be committed before it is
//! answered, so "202 Accepted" keeps meaning "stored durably". A batch is what
//! has queued up while the previous one was being written, so a single request
//! on a quiet instance is written at once, alone. Each note fares as it would
//! have alone (see `unionhall_store::received_notes`); should a batch fail as a
//! whole (a database error), each of its notes is tried again on its own.

use crate::{Error, Result};
use tokio::sync::{mpsc, oneshot};
use unionhall_store::received_notes::{self, Outcome, ReceivedNote};
use unionhall_store::Store;

/// Writes at most this many notes per transaction: enough to amortize a
/// commit, and within every database's limit on bound parameters.
const MAX_BATCH: usize = 256;

/// Requests waiting for the writer; beyond this they wait to be queued (the
/// inbox's own bound on work in flight is far lower).
const QUEUE: usize = 4 * MAX_BATCH;

struct Job {
    note: ReceivedNote,
    done: oneshot::Sender<Result<Outcome>>,
}

/// The queue in front of the writer task. Cloning shares the one writer; the
/// writer ends when the last clone is dropped.
#[derive(Clone)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    /// Starts the writer task (needs a tokio runtime).
    pub fn start(store: Store) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(writer(store, queue));
        Self { jobs }
    }

    /// Writes `note` in one of the writer's transactions and returns once it
    /// is committed.
    pub async fn write(&self, note: ReceivedNote) -> Result<Outcome> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { note, done })
            .await
            .map_err(|_| Error::Internal("the inbox writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Internal("the inbox writer stopped mid-write".into()))?
    }
}

async fn writer(store: Store, mut queue: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (notes, done): (Vec<_>, Vec<_>) = jobs.drain(..).map(|j| (j.note, j.done)).unzip();
        match together(&store, &notes).await {
            Ok(outcomes) => {
                for (done, outcome) in done.into_iter().zip(outcomes) {
                    let _ = done.send(Ok(outcome));
                }
            }
            Err(err) if notes.len() == 1 => {
                let _ = done.into_iter().next().map(|done| done.send(Err(err)));
            }
            Err(_) => {
                for (note, done) in notes.into_iter().zip(done) {
                    let alone = together(&store, std::slice::from_ref(&note)).await;
                    let _ = done.send(alone.map(|outcomes| outcomes[0]));
                }
            }
        }
    }
}

/// All of `notes` in one transaction, or none of them.
async fn together(store: &Store, notes: &[ReceivedNote]) -> Result<Vec<Outcome>> {
    let mut tx = store.begin_write().await?;
    let outcomes = received_notes::write(&mut tx, notes).await?;
    tx.commit().await?;
    Ok(outcomes)
}
