//! What the templates show of calls, strikes and posts: plain strings, already
//! worded for people.

use super::zones::event_time;
use crate::AppError;
use std::collections::HashMap;
use unionhall_domain::{CallForSupport, CallKind, Place, Strike, Zone};
use unionhall_federation::activities::{call, strike};
use unionhall_store::calls::CallRow;
use unionhall_store::strikes::StrikeRow;
use unionhall_store::{actors, Store};
use url::Url;

pub(crate) struct CallView {
    pub id: i64,
    pub title: String,
    pub kind: &'static str,
    pub chapter: String,
    pub details: String,
    /// When it happens, on the clocks where it does (and the reader's).
    pub when: Option<String>,
    /// Where, and a map of it (OpenStreetMap, no script needed).
    pub place: String,
    pub map_url: Option<String>,
    pub deadline: Option<String>,
    pub progress: String,
    pub currency: String,
    /// The calling chapter's own fund page, if any.
    pub fund_url: String,
    pub pledge_forms: Vec<PledgeForm>,
    /// The viewer's own pledges: (through which chapter, what), set by the
    /// board.
    pub mine: Vec<(String, String)>,
    /// The viewer may close it (met, withdrawn): set by the board.
    pub manage: bool,
}

impl CallView {
    /// Sets the viewer's own pledges. Through a chapter they pledged with,
    /// the card offers "Take it back" instead of the same button again.
    pub fn set_mine(&mut self, mine: Vec<(String, String)>) {
        self.pledge_forms
            .retain(|form| !mine.iter().any(|(chapter, _)| *chapter == form.chapter));
        self.mine = mine;
    }
}

/// One button of a call: "I'll be there", "Give", "I did it", for one of the
/// caller's chapters.
pub(crate) struct PledgeForm {
    pub chapter: String,
    pub kind: &'static str,
    pub label: &'static str,
}

pub(crate) struct StrikeView {
    pub id: i64,
    /// The viewer may manage it (set by the board).
    pub manage: bool,
    pub employer: String,
    pub status: &'static str,
    pub chapter: String,
    pub picket_lines: Vec<PicketLineView>,
}

pub(crate) struct PicketLineView {
    pub place: String,
    pub map_url: Option<String>,
    pub shifts: Vec<String>,
}

/// A map of a place on OpenStreetMap: at its coordinates when it has them,
/// else a search for its address. None when there is nothing to look up.
pub(crate) fn map_url(place: &Place) -> Option<String> {
    if let (Some(lat), Some(lon)) = (place.latitude, place.longitude) {
        return Some(format!(
            "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
        ));
    }
    let address = place.address.trim();
    (!address.is_empty()).then(|| {
        let query: String = url::form_urlencoded::byte_serialize(address.as_bytes()).collect();
        format!("https://www.openstreetmap.org/search?query={query}")
    })
}

/// Names of actors by id, looked up once per page.
#[derive(Default)]
pub(crate) struct Names(HashMap<Url, String>);

impl Names {
    pub async fn of(&mut self, store: &Store, id: &Url) -> Result<String, AppError> {
        if let Some(name) = self.0.get(id) {
            return Ok(name.clone());
        }
        let name = actors::by_ap_id(store, id)
            .await?
            .map(|a| {
                if a.name.is_empty() {
                    a.preferred_username
                } else {
                    a.name
                }
            })
            .unwrap_or_else(|| id.host_str().unwrap_or_default().to_owned());
        self.0.insert(id.clone(), name.clone());
        Ok(name)
    }
}

/// The pledges a call takes: people, money, or an action done.
pub(crate) fn pledge_kinds(record: &CallForSupport) -> Vec<(&'static str, &'static str)> {
    let mut kinds = Vec::new();
    if record.goal.people.is_some() || matches!(record.kind, CallKind::Picket | CallKind::Turnout) {
        kinds.push(("attend", "I'll be there"));
    }
    if record.goal.amount.is_some() || record.kind == CallKind::Donation {
        kinds.push(("give", "Give"));
    }
    if matches!(
        record.kind,
        CallKind::CallIn | CallKind::Boycott | CallKind::SignOn | CallKind::Other
    ) {
        kinds.push(("act", "I did it"));
    }
    kinds
}

/// A sum in hundredths, with its currency if it has one: "20.50 USD".
pub(crate) fn money(cents: i64, currency: &str) -> String {
    format!("{}.{:02} {currency}", cents / 100, cents % 100)
        .trim_end()
        .to_owned()
}

pub(crate) async fn call_view(
    store: &Store,
    names: &mut Names,
    row: &CallRow,
    pledge_as: &[String],
    reader: Option<Zone>,
) -> Result<CallView, AppError> {
    let record = call::record_of(row)?;
    let mut parts = Vec::new();
    match record.goal.people {
        Some(goal) => parts.push(format!("{} of {goal} people", row.pledged.people)),
        None if row.pledged.people > 0 => parts.push(format!("{} people", row.pledged.people)),
        None => {}
    }
    let money = |cents: i64| money(cents, &record.goal.currency);
    match record.goal.amount {
        Some(goal) => parts.push(format!(
            "{} of {}",
            money(row.pledged.amount),
            money(goal as i64)
        )),
        None if row.pledged.amount > 0 => parts.push(money(row.pledged.amount)),
        None => {}
    }
    if row.pledged.actions > 0 {
        parts.push(format!("{} done", row.pledged.actions));
    }
    let progress = if parts.is_empty() {
        "No pledges yet.".to_owned()
    } else {
        format!("Pledged so far: {}.", parts.join(", "))
    };
    let kinds = pledge_kinds(&record);
    let pledge_forms = pledge_as
        .iter()
        .flat_map(|chapter| {
            kinds.iter().map(move |(kind, label)| PledgeForm {
                chapter: chapter.clone(),
                kind,
                label,
            })
        })
        .collect();
    Ok(CallView {
        id: row.id,
        title: record.title.clone(),
        kind: record.kind.label(),
        chapter: names.of(store, &row.author).await?,
        details: record.details.clone(),
        when: record
            .starts_at
            .map(|start| event_time(start, record.ends_at, record.time_zone, reader)),
        place: record
            .place
            .as_ref()
            .map(|p| p.address.clone())
            .unwrap_or_default(),
        map_url: record.place.as_ref().and_then(map_url),
        deadline: record
            .deadline
            .map(|d| record.time_zone.or(reader).unwrap_or_default().show(d)),
        progress,
        currency: record.goal.currency.clone(),
        fund_url: record.goal.fund_url.clone(),
        pledge_forms,
        mine: Vec::new(),
        manage: false,
    })
}

pub(crate) async fn strike_view(
    store: &Store,
    names: &mut Names,
    row: &StrikeRow,
    reader: Option<Zone>,
) -> Result<StrikeView, AppError> {
    let record: Strike = strike::record_of(row)?;
    let status = row.status;
    Ok(StrikeView {
        id: row.id,
        manage: false,
        employer: record.employer.clone(),
        status: status.label(),
        chapter: names.of(store, &row.author).await?,
        picket_lines: record
            .picket_lines
            .iter()
            .map(|line| PicketLineView {
                place: line.place.address.clone(),
                map_url: map_url(&line.place),
                shifts: line
                    .shifts
                    .iter()
                    .map(|s| {
                        let when =
                            event_time(s.starts_at, Some(s.ends_at), record.time_zone, reader);
                        format!("{when}: {} people needed", s.needed)
                    })
                    .collect(),
            })
            .collect(),
    })
}

/// A strike's history, newest first, one line each: "when · status: word".
pub(crate) fn history_lines(row: &StrikeRow, zone: Zone) -> Result<Vec<String>, AppError> {
    Ok(strike::history_of(row)?
        .iter()
        .rev()
        .map(|h| {
            let text = if h.text.is_empty() {
                String::new()
            } else {
                format!(": {}", h.text)
            };
            format!("{} · {}{text}", zone.show(h.at), h.status.label())
        })
        .collect())
}
