//! Group commit of received activities: the inbox's writes are applied by one
//! writer task, many to a transaction, instead of each taking its own turn at
//! the database's write lock and its own commit (its own fsync on SQLite).
//!
//! Each request still waits for its own write to be committed before it is
//! answered, so "202 Accepted" keeps meaning "stored durably". A batch is what
//! has queued up while the previous one was being written, so a single request
//! on a quiet instance is written at once, alone.
//!
//! A write that fails must not undo the others of its batch: then the batch is
//! rolled back and each write is applied again in a transaction of its own, so
//! every request gets the answer it would have got alone. Writes are functions
//! of the connection (not futures) so that they can be run that second time.

use crate::{Error, Result};
use std::future::Future;
use std::pin::Pin;
use tokio::sync::{mpsc, oneshot};
use unionhall_store::{Connection, Store};

/// Writes at most this many activities per transaction: enough to amortize a
/// commit, few enough that a batch that fails is cheap to redo one by one.
const MAX_BATCH: usize = 256;

/// Requests waiting for the writer; beyond this they wait to be queued (the
/// inbox's own bound on work in flight is far lower).
const QUEUE: usize = 4 * MAX_BATCH;

pub type WriteFuture<'c> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'c>>;

/// One request's write, applied inside a transaction the writer owns.
pub type Write = Box<dyn for<'c> Fn(&'c mut Connection) -> WriteFuture<'c> + Send + Sync>;

struct Job {
    write: Write,
    done: oneshot::Sender<Result<()>>,
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

    /// Applies `write` in one of the writer's transactions and returns once it
    /// is committed, with the write's own result.
    pub async fn write(&self, write: Write) -> Result<()> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { write, done })
            .await
            .map_err(|_| Error::Internal("the inbox writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Internal("the inbox writer stopped mid-write".into()))?
    }
}

async fn writer(store: Store, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match together(&store, &batch).await {
            Ok(()) => {
                for job in batch.drain(..) {
                    let _ = job.done.send(Ok(()));
                }
            }
            Err(err) => {
                if batch.len() == 1 {
                    // Alone already: its error is its answer.
                    let _ = batch.pop().map(|job| job.done.send(Err(err)));
                    continue;
                }
                for job in batch.drain(..) {
                    let result = alone(&store, &job.write).await;
                    let _ = job.done.send(result);
                }
            }
        }
    }
}

/// All of `batch` in one transaction, or none of it.
async fn together(store: &Store, batch: &[Job]) -> Result<()> {
    let mut tx = store.begin_write().await?;
    for job in batch {
        (job.write)(&mut tx).await?;
    }
    Ok(tx.commit().await?)
}

async fn alone(store: &Store, write: &Write) -> Result<()> {
    let mut tx = store.begin_write().await?;
    write(&mut tx).await?;
    Ok(tx.commit().await?)
}
