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

use crate::gathered::{Gathered, Runs};
use crate::Result;
use unionhall_store::received_notes::{self, Outcome, ReceivedNote};
use unionhall_store::{Backend, Store};

/// Writes at most this many notes per transaction: enough to amortize a
/// commit, few enough that a batch's text (up to 64 KiB a note) stays a few
/// megabytes.
const MAX_BATCH: usize = 256;

/// The queue in front of the writer task. Cloning shares the one writer; the
/// writer ends when the last clone is dropped.
#[derive(Clone)]
pub struct GroupCommit {
    writer: Gathered<ReceivedNote, Outcome>,
}

impl GroupCommit {
    /// Starts the writer task (needs a tokio runtime).
    pub fn start(store: Store) -> Self {
        // SQLite's one writer is the inbox's serial step: on the runtime, each
        // of its statements waited for a turn behind requests being parsed
        // and verified (a batch took 3.2 ms there, 1.8 ms on its own thread).
        // A PostgreSQL connection is a socket of the runtime that opened it,
        // so that writer stays on the runtime.
        let runs = match store.backend() {
            Backend::Sqlite => Runs::OnOwnThread,
            Backend::Postgres => Runs::OnRuntime,
        };
        let writer = Gathered::start("the inbox writer", MAX_BATCH, runs, move |notes| {
            let store = store.clone();
            async move { write_all(&store, notes).await }
        });
        Self { writer }
    }

    /// Writes `note` in one of the writer's transactions and returns once it
    /// is committed.
    pub async fn write(&self, note: ReceivedNote) -> Result<Outcome> {
        self.writer.ask(note).await
    }
}

/// The outcome of each of `notes`: all in one transaction, or, should that
/// fail, each in one of its own.
async fn write_all(store: &Store, notes: Vec<ReceivedNote>) -> Vec<Result<Outcome>> {
    match together(store, &notes).await {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        Err(err) if notes.len() == 1 => vec![Err(err)],
        Err(_) => {
            let mut outcomes = Vec::with_capacity(notes.len());
            for note in &notes {
                let alone = together(store, std::slice::from_ref(note)).await;
                outcomes.push(alone.map(|outcomes| outcomes[0]));
            }
            outcomes
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
