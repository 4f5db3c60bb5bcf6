//! Questions answered many at a time by one task: what `group_commit.rs` and
//! `group_read.rs` share. Each caller waits for its own answer; a batch is what
//! queued up while the previous one was answered, so a single question on a
//! quiet instance is answered at once, alone.

use crate::{Error, Result};
use std::future::Future;
use tokio::sync::{mpsc, oneshot};

struct Asked<Q, A> {
    question: Q,
    answer: oneshot::Sender<Result<A>>,
}

/// The queue in front of one answering task. Cloning shares the task; it ends
/// when the last clone is dropped.
pub struct Gathered<Q, A> {
    questions: mpsc::Sender<Asked<Q, A>>,
    /// What the task does, for errors ("the inbox writer").
    name: &'static str,
}

impl<Q, A> Clone for Gathered<Q, A> {
    fn clone(&self) -> Self {
        Self {
            questions: self.questions.clone(),
            name: self.name,
        }
    }
}

impl<Q: Send + 'static, A: Send + 'static> Gathered<Q, A> {
    /// Starts the task (needs a tokio runtime). `answer_all` gets up to
    /// `max_batch` questions and returns one answer for each, in order.
    pub fn start<F, Fut>(name: &'static str, max_batch: usize, mut answer_all: F) -> Self
    where
        F: FnMut(Vec<Q>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<Result<A>>> + Send,
    {
        // Beyond this many waiting, asking waits too (the inbox's own bound on
        // work in flight is far lower).
        let (questions, mut queue) = mpsc::channel::<Asked<Q, A>>(4 * max_batch);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(max_batch);
            while queue.recv_many(&mut batch, max_batch).await > 0 {
                let (asked, waiting): (Vec<_>, Vec<_>) =
                    batch.drain(..).map(|a| (a.question, a.answer)).unzip();
                for (waiting, answer) in waiting.into_iter().zip(answer_all(asked).await) {
                    let _ = waiting.send(answer);
                }
            }
        });
        Self { questions, name }
    }

    /// Asks, and waits for the answer.
    pub async fn ask(&self, question: Q) -> Result<A> {
        let (answer, answered) = oneshot::channel();
        let stopped = || Error::Internal(format!("{} has stopped", self.name));
        self.questions
            .send(Asked { question, answer })
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}
