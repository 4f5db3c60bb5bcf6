//! Questions answered many at a time by one task (the inbox writer of
//! `group_commit.rs`). Each caller waits for its own answer; a batch is what
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

/// Where the answering task runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// On the runtime that starts it, beside every other task.
    OnRuntime,
    /// On a thread (and a one-thread runtime) of its own, for a task that is
    /// the one serial step of its pipeline: each of its awaits then resumes
    /// as soon as its answer comes, instead of queueing behind the runtime's
    /// other tasks. Only for work whose IO does not belong to the runtime
    /// (SQLite's connections run on threads of their own).
    OnOwnThread,
}

impl<Q: Send + 'static, A: Send + 'static> Gathered<Q, A> {
    /// Starts the task (needs a tokio runtime). `answer_all` gets up to
    /// `max_batch` questions and returns one answer for each, in order.
    pub fn start<F, Fut>(name: &'static str, max_batch: usize, runs: Runs, answer_all: F) -> Self
    where
        F: FnMut(Vec<Q>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<Result<A>>> + Send + 'static,
    {
        // Beyond this many waiting, asking waits too (the inbox's own bound on
        // work in flight is far lower).
        let (questions, queue) = mpsc::channel::<Asked<Q, A>>(4 * max_batch);
        let answering = answer_each(queue, max_batch, answer_all);
        let own_runtime = match runs {
            Runs::OnRuntime => None,
            Runs::OnOwnThread => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .inspect_err(|err| {
                    tracing::warn!("{name} runs beside other tasks: no runtime of its own: {err}")
                })
                .ok(),
        };
        match own_runtime {
            Some(runtime) => {
                let spawned = std::thread::Builder::new()
                    .name(name.replace(' ', "-"))
                    .spawn(move || runtime.block_on(answering));
                if let Err(err) = spawned {
                    // The queue's receiver went with the closure: asking fails
                    // with "stopped", which the inbox answers as a server error.
                    tracing::error!("{name} could not start: {err}");
                }
            }
            None => {
                tokio::spawn(answering);
            }
        }
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

/// The answering loop: a batch is what queued up while the last was answered.
async fn answer_each<Q, A, F, Fut>(
    mut queue: mpsc::Receiver<Asked<Q, A>>,
    max_batch: usize,
    mut answer_all: F,
) where
    F: FnMut(Vec<Q>) -> Fut,
    Fut: Future<Output = Vec<Result<A>>>,
{
    let mut batch = Vec::with_capacity(max_batch);
    while queue.recv_many(&mut batch, max_batch).await > 0 {
        let (asked, waiting): (Vec<_>, Vec<_>) =
            batch.drain(..).map(|a| (a.question, a.answer)).unzip();
        for (waiting, answer) in waiting.into_iter().zip(answer_all(asked).await) {
            let _ = waiting.send(answer);
        }
    }
}
