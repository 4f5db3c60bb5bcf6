//! The inbox's first question about every activity, "seen before, and who has
//! blocked its sender?", asked for many requests in one query by one reader
//! task, the way `group_commit.rs` writes their notes.
//!
//! One query per request cost a fifth of the inbox's throughput on SQLite
//! (each is a round trip to a connection's thread; docs/benchmarks.md). The
//! answer is read after the request arrived, as before, so a block committed
//! before an activity comes (by the CLI, say) still holds for it. A single
//! request on a quiet instance is asked at once, alone.

use crate::gathered::Gathered;
use crate::{Error, Result};
use unionhall_store::inbox_seen::{self, Before};
use unionhall_store::Store;
use url::Url;

/// Questions per query at most (two bound parameters each at most).
const MAX_BATCH: usize = 128;

/// The queue in front of the reader task. Cloning shares the one reader; it
/// ends when the last clone is dropped.
#[derive(Clone)]
pub struct GroupRead {
    reader: Gathered<(Url, Url), Before>,
}

impl GroupRead {
    /// Starts the reader task (needs a tokio runtime).
    pub fn start(store: Store) -> Self {
        let reader = Gathered::start("the inbox reader", MAX_BATCH, move |asked| {
            let store = store.clone();
            async move { read_all(&store, asked).await }
        });
        Self { reader }
    }

    /// Whether `activity` was received before, and who blocked `sender`.
    pub async fn before(&self, activity: Url, sender: Url) -> Result<Before> {
        self.reader.ask((activity, sender)).await
    }
}

async fn read_all(store: &Store, asked: Vec<(Url, Url)>) -> Vec<Result<Before>> {
    let pairs: Vec<(&Url, &Url)> = asked.iter().map(|(id, sender)| (id, sender)).collect();
    match inbox_seen::before_each(store, &pairs).await {
        Ok(answers) => answers.into_iter().map(Ok).collect(),
        Err(err) => {
            let message = format!("reading what the inbox has seen: {err}");
            asked
                .iter()
                .map(|_| Err(Error::Internal(message.clone())))
                .collect()
        }
    }
}
