//! Strikes: a chapter announces one (Create), with its picket shifts as calls
//! for support (Create each); every status change and update is an Update of the
//! strike carrying its whole history, so a follower who joins late sees the story.
//! When a strike is settled or ends, its open shifts close.

use super::audience::public;
use super::call::{close_shifts, insert_call};
use super::{authorize, envelope, local_group_for, parse_time, receive, relay, rfc3339, wake};
use super::{Audience, Received};
use crate::delivery::enqueue;
use crate::protocol::call::SourceJson;
use crate::protocol::note::plain_text_to_html;
use crate::protocol::strike::StrikeUpdateJson;
use crate::protocol::{ActivityObject, StrikeJson};
use crate::{Data, Error, Result};
use serde::{Deserialize, Serialize};
use unionhall_domain::{
    ActorKind, Authority, CallForSupport, CallKind, Goal, Permission, Strike, StrikeStatus,
};
use unionhall_store::actors::ActorRow;
use unionhall_store::strikes::{self, StrikeRow, StrikeWrite};
use unionhall_store::{actors as store_actors, calls, follows, now_millis, Connection};
use url::Url;

/// One entry of a strike's history, as stored and as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrikeUpdate {
    pub status: StrikeStatus,
    pub text: String,
    pub at: i64,
}

pub fn record_of(row: &StrikeRow) -> Result<Strike> {
    serde_json::from_str(&row.record)
        .map_err(|err| Error::Internal(format!("strike {} is unreadable: {err}", row.id)))
}

pub fn history_of(row: &StrikeRow) -> Result<Vec<StrikeUpdate>> {
    serde_json::from_str(&row.history)
        .map_err(|err| Error::Internal(format!("strike {} history is unreadable: {err}", row.id)))
}

fn content_of(
    strike: &Strike,
    status: StrikeStatus,
    outcome: &str,
    history: &[StrikeUpdate],
) -> String {
    let mut text = format!("{}: {}", status.label(), strike.employer);
    if !strike.workplace.is_empty() {
        text.push_str(&format!(", {}", strike.workplace));
    }
    if !outcome.is_empty() {
        text.push_str(&format!("\n\nOutcome: {outcome}"));
    }
    if let Some(latest) = history.iter().rev().find(|u| !u.text.is_empty()) {
        if latest.text != outcome {
            text.push_str(&format!("\n\n{}", latest.text));
        }
    }
    if !strike.details.is_empty() {
        text.push_str(&format!("\n\n{}", strike.details));
    }
    if !strike.demands.is_empty() {
        text.push_str("\n\nOur demands:\n");
        text.push_str(
            &strike
                .demands
                .iter()
                .map(|d| format!("- {d}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    if !strike.fund_url.is_empty() {
        text.push_str(&format!("\n\nStrike fund: {}", strike.fund_url));
    }
    plain_text_to_html(&text)
}

/// The object we publish for one of our strikes.
pub async fn strike_json(
    conn: &mut Connection,
    row: &StrikeRow,
    author: &ActorRow,
) -> Result<StrikeJson> {
    let strike = record_of(row)?;
    let history = history_of(row)?;
    let status = row.status;
    let shifts = calls::shifts_of(conn, &row.ap_id)
        .await?
        .into_iter()
        .map(|c| c.ap_id)
        .collect();
    Ok(StrikeJson {
        kind: if strike.starts_at.is_some() {
            "Event"
        } else {
            "Page"
        }
        .into(),
        id: row.ap_id.clone(),
        attributed_to: row.author.clone(),
        name: format!("{}: {}", status.label(), strike.employer),
        content: content_of(&strike, status, &row.outcome, &history),
        source: Some(SourceJson {
            content: strike.details.clone(),
            media_type: "text/plain".into(),
        }),
        strike_status: status.as_str().into(),
        employer: strike.employer.clone(),
        workplace: strike.workplace.clone(),
        demands: strike.demands.clone(),
        start_time: strike.starts_at.and_then(rfc3339),
        timezone: strike.time_zone.map(|z| z.name().to_owned()),
        outcome: row.outcome.clone(),
        fund_url: Url::parse(&strike.fund_url).ok(),
        shifts,
        updates: history
            .iter()
            .map(|u| StrikeUpdateJson {
                strike_status: u.status.as_str().into(),
                content: u.text.clone(),
                published: rfc3339(u.at).unwrap_or_default(),
            })
            .collect(),
        published: rfc3339(row.published_at),
        updated: rfc3339(row.updated_at),
        to: public(),
        cc: author.followers_url.iter().cloned().collect(),
    })
}

/// Sends the strike as it now is to the chapter's followers and to the union
/// bodies it belongs to, which relay it to their members.
async fn send_strike(
    conn: &mut Connection,
    data: &Data,
    row: &StrikeRow,
    author: &ActorRow,
    create: bool,
) -> Result<()> {
    let mut object = strike_json(conn, row, author).await?;
    let bodies = relay::admitted_bodies(conn, &author.ap_id).await?;
    object.cc.extend(bodies.iter().cloned());
    let mut inboxes = follows::follower_inboxes(conn, &author.ap_id).await?;
    inboxes.extend(relay::remote_body_inboxes(conn, data, &bodies).await?);
    let id = data.urls.new_activity_id();
    let addressees = (object.to.clone(), object.cc.clone());
    let object = ActivityObject::Strike(Box::new(object));
    let activity = envelope::signed_change(&data.vault, author, &id, object, addressees, create)?;
    enqueue(conn, data, author, &id, &activity, &inboxes, true).await?;
    relay::relay_through_local_bodies(conn, data, &bodies, &author.ap_id, &activity).await
}

fn history_json(history: &[StrikeUpdate]) -> Result<String> {
    serde_json::to_string(history).map_err(|err| Error::Internal(err.to_string()))
}

/// A strike as it is to be stored.
struct Stored<'a> {
    ap_id: &'a Url,
    author: &'a Url,
    strike: &'a Strike,
    status: StrikeStatus,
    outcome: &'a str,
    history: &'a [StrikeUpdate],
    is_local: bool,
    updated_at: i64,
}

impl receive::Version for Stored<'_> {
    fn object_id(&self) -> &Url {
        self.ap_id
    }

    async fn store(&self, conn: &mut Connection) -> Result<()> {
        write(conn, self).await.map(|_| ())
    }
}

async fn write(conn: &mut Connection, s: &Stored<'_>) -> Result<Option<i64>> {
    let record = serde_json::to_string(s.strike).map_err(|err| Error::Internal(err.to_string()))?;
    let history = history_json(s.history)?;
    Ok(strikes::upsert(
        conn,
        &StrikeWrite {
            ap_id: s.ap_id,
            author: s.author,
            record: &record,
            status: s.status,
            outcome: s.outcome,
            history: &history,
            is_local: s.is_local,
            updated_at: s.updated_at,
        },
    )
    .await?)
}

/// The call for support one picket shift becomes.
fn shift_call(
    strike: &Strike,
    line: &unionhall_domain::PicketLine,
    shift: &unionhall_domain::Shift,
) -> CallForSupport {
    CallForSupport {
        kind: CallKind::Picket,
        title: format!(
            "Picket line at {} ({})",
            line.place.address, strike.employer
        ),
        details: String::new(),
        place: Some(line.place.clone()),
        starts_at: Some(shift.starts_at),
        ends_at: Some(shift.ends_at),
        deadline: None,
        goal: Goal {
            people: Some(shift.needed),
            fund_url: strike.fund_url.clone(),
            ..Goal::default()
        },
        time_zone: strike.time_zone,
    }
}

/// A chapter announces a strike: the strike and each picket shift (a call for
/// support) go to its followers.
pub async fn announce_strike(
    data: &Data,
    by: &Authority,
    handle: &str,
    strike: Strike,
) -> Result<StrikeRow> {
    let author = local_group_for(
        data,
        by,
        handle,
        ActorKind::Chapter,
        Permission::PostForGroup,
        "post for this chapter",
    )
    .await?;
    let mut strike = strike.validated()?;
    if strike.time_zone.is_none() {
        strike.time_zone = super::time::zone_of(&data.store, &author.ap_id).await?;
    }
    let ap_id = data.urls.new_strike_id();
    let history = [StrikeUpdate {
        status: StrikeStatus::Announced,
        text: String::new(),
        at: now_millis(),
    }];
    let mut tx = data.store.begin_write().await?;
    let stored = Stored {
        ap_id: &ap_id,
        author: &author.ap_id,
        strike: &strike,
        status: StrikeStatus::Announced,
        outcome: "",
        history: &history,
        is_local: true,
        updated_at: now_millis(),
    };
    write(&mut tx, &stored)
        .await?
        .ok_or_else(|| Error::Internal("a new strike id was taken".into()))?;
    for line in &strike.picket_lines {
        for shift in &line.shifts {
            let call = shift_call(&strike, line, shift).validated()?;
            call.check_not_over(now_millis())?;
            insert_call(
                &mut tx,
                data,
                &author,
                &call,
                &Audience::Public,
                Some(&ap_id),
            )
            .await?;
        }
    }
    let row = strikes::by_ap_id(&mut tx, &ap_id)
        .await?
        .ok_or_else(|| Error::Internal("the strike vanished".into()))?;
    send_strike(&mut tx, data, &row, &author, true).await?;
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(row)
}

/// One of our strikes, with its author.
pub async fn local_strike(data: &Data, id: i64) -> Result<(StrikeRow, ActorRow)> {
    let row = strikes::by_id(&data.store, id)
        .await?
        .filter(|s| s.is_local && s.deleted_at.is_none())
        .ok_or_else(|| Error::NotFound(format!("no strike {id} of this instance")))?;
    let author = store_actors::by_ap_id(&data.store, &row.author)
        .await?
        .ok_or_else(|| Error::Internal(format!("the author of strike {id} is gone")))?;
    Ok((row, author))
}

/// Moves a strike along its lifecycle (`text` is the outcome when settling or
/// ending, an update otherwise), or, with `next` None, adds an update.
pub async fn advance(
    data: &Data,
    by: &Authority,
    id: i64,
    next: Option<StrikeStatus>,
    text: &str,
) -> Result<StrikeRow> {
    let (row, author) = local_strike(data, id).await?;
    authorize(
        by,
        &author.ap_id,
        Permission::PostForGroup,
        "post for this chapter",
    )?;
    let text = text.trim();
    if text.chars().count() > 5_000 {
        return Err(Error::BadRequest(
            "the update is longer than 5000 characters".into(),
        ));
    }
    let current = row.status;
    let status = match next {
        Some(next) => current.move_to(next, text)?,
        None if text.is_empty() => return Err(Error::BadRequest("an update needs text".into())),
        None if current.is_final() => {
            return Err(Error::Conflict(format!(
                "the strike is {}: it has its outcome",
                current.as_str()
            )))
        }
        None => current,
    };
    let outcome = if status.is_final() {
        text.to_owned()
    } else {
        row.outcome.clone()
    };
    let mut history = history_of(&row)?;
    history.push(StrikeUpdate {
        status,
        text: text.to_owned(),
        at: now_millis(),
    });
    let strike = record_of(&row)?;
    let mut tx = data.store.begin_write().await?;
    let stored = Stored {
        ap_id: &row.ap_id,
        author: &row.author,
        strike: &strike,
        status,
        outcome: &outcome,
        history: &history,
        is_local: true,
        updated_at: now_millis(),
    };
    write(&mut tx, &stored).await?;
    if status.is_final() {
        close_shifts(&mut tx, data, &author, &row.ap_id).await?;
    }
    let row = strikes::by_ap_id(&mut tx, &row.ap_id)
        .await?
        .ok_or_else(|| Error::Internal("the strike vanished".into()))?;
    send_strike(&mut tx, data, &row, &author, false).await?;
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(row)
}

/// Adds a picket shift to one of our strikes, on the picket line at `address`
/// (a new line if there is none there yet). Followers get the strike's Update,
/// and the shift becomes a call for support people pledge to.
pub async fn add_shift(
    data: &Data,
    by: &Authority,
    id: i64,
    address: &str,
    shift: unionhall_domain::Shift,
) -> Result<StrikeRow> {
    let (row, author) = local_strike(data, id).await?;
    authorize(
        by,
        &author.ap_id,
        Permission::PostForGroup,
        "post for this chapter",
    )?;
    let status = row.status;
    if status.is_final() {
        return Err(Error::Conflict(format!(
            "the strike is {}: it has no more shifts",
            status.as_str()
        )));
    }
    let address = address.trim();
    let mut strike = record_of(&row)?;
    let at = match strike
        .picket_lines
        .iter()
        .position(|line| line.place.address == address)
    {
        Some(at) => at,
        None => {
            strike.picket_lines.push(unionhall_domain::PicketLine {
                place: unionhall_domain::Place {
                    address: address.to_owned(),
                    latitude: None,
                    longitude: None,
                },
                shifts: Vec::new(),
            });
            strike.picket_lines.len() - 1
        }
    };
    strike.picket_lines[at].shifts.push(shift.clone());
    let strike = strike.validated()?;
    let line = &strike.picket_lines[at];
    let call = shift_call(&strike, line, &shift).validated()?;
    // A shift that is over already is a typo, not a shift.
    call.check_not_over(now_millis())?;
    let history = history_of(&row)?;
    let mut tx = data.store.begin_write().await?;
    let stored = Stored {
        ap_id: &row.ap_id,
        author: &row.author,
        strike: &strike,
        status,
        outcome: &row.outcome,
        history: &history,
        is_local: true,
        updated_at: now_millis(),
    };
    write(&mut tx, &stored).await?;
    insert_call(
        &mut tx,
        data,
        &author,
        &call,
        &Audience::Public,
        Some(&row.ap_id),
    )
    .await?;
    let row = strikes::by_ap_id(&mut tx, &row.ap_id)
        .await?
        .ok_or_else(|| Error::Internal("the strike vanished".into()))?;
    send_strike(&mut tx, data, &row, &author, false).await?;
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(row)
}

/// A strike arrives (Create or Update) from a chapter we follow, addressed to
/// one of our bodies by a member, or relayed by a body we belong to.
pub(crate) async fn receive_strike(
    data: &Data,
    received: Received<'_>,
    json: StrikeJson,
) -> Result<()> {
    let (actor, relayed_by) = (received.actor, received.relayed_by);
    receive::check_authorship(
        data,
        &json.id,
        &json.attributed_to,
        actor,
        "announce strikes",
    )?;
    let status = StrikeStatus::parse(&json.strike_status)?;
    let strike = Strike {
        employer: json.employer.clone(),
        workplace: json.workplace.clone(),
        demands: json.demands.clone(),
        details: match &json.source {
            Some(source) if source.media_type == "text/plain" => source.content.clone(),
            _ => json.content.clone(),
        },
        starts_at: parse_time(&json.start_time, "startTime")?,
        // The shifts travel as calls of their own.
        picket_lines: Vec::new(),
        fund_url: json
            .fund_url
            .as_ref()
            .map(Url::to_string)
            .unwrap_or_default(),
        time_zone: super::time::received_zone(json.timezone.as_deref(), &json.id),
    }
    .validated()?;
    let history = json
        .updates
        .iter()
        .map(|u| {
            Ok(StrikeUpdate {
                status: StrikeStatus::parse(&u.strike_status)?,
                text: u.content.clone(),
                at: parse_time(&Some(u.published.clone()), "published")?.unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let addressees: Vec<Url> = json.to.iter().chain(&json.cc).cloned().collect();
    let to_our_body = relay::our_body_among(data, &addressees).await?;
    let followed = follows::is_following(&data.store, actor).await?;
    if !(followed || relayed_by.is_some() || to_our_body.is_some()) {
        return Ok(());
    }
    let stored = Stored {
        ap_id: &json.id,
        author: actor,
        strike: &strike,
        status,
        outcome: &json.outcome,
        history: &history,
        is_local: false,
        updated_at: parse_time(&json.updated, "updated")?.unwrap_or_else(now_millis),
    };
    // Addressed to a body of ours by a member: the body relays it.
    let relay_to = to_our_body.is_some().then_some(addressees.as_slice());
    receive::apply(data, received, &stored, relay_to).await
}
