//! The date of each record's latest one-on-one, for the roster sorted by
//! last conversation. The dates are sealed, and opening every conversation
//! of a 5,000-member chapter costs tens of milliseconds (docs/benchmarks.md),
//! so what was opened is kept per chapter beside the fingerprint of the
//! conversations it came from (`one_on_ones_fingerprint`: how many, and the
//! newest's number), which every view reads afresh: a conversation logged, or
//! a record erased, by this process or another changes it, and the dates are
//! opened again. Conversations are never edited, only added or deleted.
//!
//! Only dates and record numbers are kept, never a conversation's content.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use url::Url;

/// Record number -> date (`YYYY-MM-DD`) of its latest one-on-one.
pub type Dates = Arc<HashMap<i64, String>>;

/// What the conversations of one chapter were when their dates were read.
pub(crate) type Fingerprint = (i64, i64);

#[derive(Debug, Default)]
pub(crate) struct TalkDates {
    by_chapter: Mutex<HashMap<Url, (Fingerprint, Dates)>>,
}

impl TalkDates {
    /// The dates read when the chapter's conversations were as `now`, if
    /// they still are.
    pub(crate) fn get(&self, chapter: &Url, now: Fingerprint) -> Option<Dates> {
        let kept = self.by_chapter.lock().unwrap_or_else(|e| e.into_inner());
        match kept.get(chapter) {
            Some((seen, dates)) if *seen == now => Some(dates.clone()),
            _ => None,
        }
    }

    /// Keeps `dates`, read when the chapter's conversations were as `seen`
    /// (read before the conversations were, so that one logged meanwhile
    /// makes the next view read them again).
    pub(crate) fn keep(&self, chapter: &Url, seen: Fingerprint, dates: Dates) {
        let mut kept = self.by_chapter.lock().unwrap_or_else(|e| e.into_inner());
        kept.insert(chapter.clone(), (seen, dates));
    }
}
