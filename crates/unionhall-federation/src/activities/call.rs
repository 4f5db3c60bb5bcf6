//! Calls for support: a chapter posts one (Create), edits it or changes its status
//! (Update); the chapters that follow it receive it. Members pledge on their own
//! instance; their chapter sends the calling chapter its totals (Update of a
//! `PledgeTotal`), and the calling chapter adds every chapter's totals up and
//! publishes the running total on the call (Update).

use super::audience::public;
use super::{
    authorize, envelope, first_time, local_group_for, parse_time, receive, relay, rfc3339,
    same_actor, wake,
};
use super::{Audience, Received};
use crate::delivery::enqueue;
use crate::protocol::call::{GoalJson, PlaceJson, SourceJson, TotalsJson, PLEDGE_TOTAL};
use crate::protocol::note::plain_text_to_html;
use crate::protocol::{ActivityObject, CallJson, PledgeTotalJson, Update, PUBLIC};
use crate::{Data, Error, Result};
use activitypub_federation::kinds::activity::UpdateType;
use activitypub_federation::protocol::verification::verify_domains_match;
use unionhall_domain::{
    ActorKind, Authority, CallForSupport, CallStatus, Goal, Permission, Place, Pledge, PledgeTotals,
};
use unionhall_store::actors::ActorRow;
use unionhall_store::calls::{self, CallRow, CallWrite, PledgeRow, Totals};
use unionhall_store::{actors as store_actors, follows, interactions, now_millis, Connection};
use url::Url;

fn totals_of(t: Totals) -> TotalsJson {
    TotalsJson {
        people: t.people.max(0) as u64,
        amount: t.amount.max(0) as u64,
        actions: t.actions.max(0) as u64,
    }
}

fn stored_totals(t: PledgeTotals) -> Totals {
    Totals {
        people: t.people as i64,
        amount: t.amount as i64,
        actions: t.actions as i64,
    }
}

/// Reads the stored record of a call.
pub fn record_of(row: &CallRow) -> Result<CallForSupport> {
    serde_json::from_str(&row.record)
        .map_err(|err| Error::Internal(format!("call {} is unreadable: {err}", row.id)))
}

fn money(amount: u64, currency: &str) -> String {
    format!("{}.{:02} {currency}", amount / 100, amount % 100)
}

/// The readable part of a call: what Mastodon shows.
fn content_of(call: &CallForSupport, status: CallStatus, pledged: TotalsJson) -> String {
    let mut text = String::new();
    if status != CallStatus::Open {
        text.push_str(&format!("[{}]\n\n", status.as_str().to_uppercase()));
    }
    text.push_str(&call.details);
    let mut facts = Vec::new();
    if let Some(place) = call.place.as_ref().filter(|p| !p.address.is_empty()) {
        facts.push(format!("Where: {}", place.address));
    }
    if let Some(start) = call.starts_at.and_then(rfc3339) {
        facts.push(format!("When: {start}"));
    }
    if let Some(deadline) = call.deadline.and_then(rfc3339) {
        facts.push(format!("Deadline: {deadline}"));
    }
    let goal = &call.goal;
    if let Some(people) = goal.people {
        facts.push(format!("{} of {people} people pledged", pledged.people));
    }
    if let Some(amount) = goal.amount {
        facts.push(format!(
            "{} of {} pledged",
            money(pledged.amount, &goal.currency),
            money(amount, &goal.currency)
        ));
    }
    if !goal.fund_url.is_empty() {
        facts.push(format!("Give at {}", goal.fund_url));
    }
    if !facts.is_empty() {
        text.push_str("\n\n");
        text.push_str(&facts.join("\n"));
    }
    plain_text_to_html(&text)
}

/// The object we publish for one of our calls.
pub fn call_json(row: &CallRow, author: &ActorRow) -> Result<CallJson> {
    let call = record_of(row)?;
    let status = row.status;
    let pledged = totals_of(row.pledged);
    let followers: Vec<Url> = author.followers_url.iter().cloned().collect();
    let (to, cc) = match row.audience.clone() {
        Audience::Public => (public(), followers),
        Audience::Followers => (followers, Vec::new()),
        Audience::Chapters(urls) => (urls, Vec::new()),
        Audience::Union(body) => (vec![body], Vec::new()),
    };
    Ok(CallJson {
        kind: if call.starts_at.is_some() {
            "Event"
        } else {
            "Page"
        }
        .into(),
        id: row.ap_id.clone(),
        attributed_to: row.author.clone(),
        name: format!("{}: {}", call.kind.label(), call.title),
        content: content_of(&call, status, pledged),
        source: Some(SourceJson {
            content: call.details.clone(),
            media_type: "text/plain".into(),
        }),
        call_kind: call.kind.as_str().into(),
        call_status: status.as_str().into(),
        start_time: call.starts_at.and_then(rfc3339),
        end_time: call.ends_at.and_then(rfc3339),
        location: call.place.as_ref().map(|p| PlaceJson {
            kind: "Place".into(),
            name: p.address.clone(),
            latitude: p.latitude,
            longitude: p.longitude,
        }),
        deadline: call.deadline.and_then(rfc3339),
        timezone: call.time_zone.map(|z| z.name().to_owned()),
        goal: GoalJson {
            people: call.goal.people,
            amount: call.goal.amount,
            currency: call.goal.currency.clone(),
            fund_url: Url::parse(&call.goal.fund_url).ok(),
        },
        pledged,
        strike: row.strike.clone(),
        published: rfc3339(row.published_at),
        updated: rfc3339(row.updated_at),
        to,
        cc,
    })
}

/// The inboxes a call goes to.
async fn inboxes_for(
    conn: &mut Connection,
    data: &Data,
    author: &ActorRow,
    audience: &Audience,
) -> Result<Vec<Url>> {
    match audience {
        Audience::Public | Audience::Followers => {
            Ok(follows::follower_inboxes(conn, &author.ap_id).await?)
        }
        Audience::Chapters(urls) => {
            let mut inboxes = Vec::new();
            for url in urls {
                let actor = store_actors::by_ap_id_in(conn, url).await?.ok_or_else(|| {
                    Error::BadRequest(format!(
                        "{url} is not a chapter this instance knows; follow it first"
                    ))
                })?;
                inboxes.push(actor.delivery_inbox().clone());
            }
            Ok(inboxes)
        }
        // A body of ours relays itself (see `send_call`); another's gets it.
        Audience::Union(body) if data.urls.is_local(body) => Ok(Vec::new()),
        Audience::Union(body) => {
            let actor = store_actors::by_ap_id_in(conn, body)
                .await?
                .ok_or_else(|| {
                    Error::BadRequest(format!("{body} is not a body this instance knows"))
                })?;
            Ok(vec![actor.delivery_inbox().clone()])
        }
    }
}

/// Sends the current state of a call to its audience, in the caller's
/// transaction.
async fn send_call(
    conn: &mut Connection,
    data: &Data,
    row: &CallRow,
    author: &ActorRow,
    create: bool,
) -> Result<()> {
    let mut object = call_json(row, author)?;
    let audience = row.audience.clone();
    let mut inboxes = inboxes_for(conn, data, author, &audience).await?;
    let public = audience == Audience::Public;
    // A public picket shift goes where its strike goes: to the chapter's
    // unions too, which relay it to their members.
    let bodies = if public && row.strike.is_some() {
        relay::admitted_bodies(conn, &author.ap_id).await?
    } else {
        Vec::new()
    };
    object.cc.extend(bodies.iter().cloned());
    inboxes.extend(relay::remote_body_inboxes(conn, data, &bodies).await?);
    // Whoever joined it from elsewhere on the fediverse hears when it moves,
    // is met or is called off.
    if public {
        for inbox in interactions::joined_inboxes(conn, &row.ap_id).await? {
            if !inboxes.contains(&inbox) {
                inboxes.push(inbox);
            }
        }
    }
    let id = data.urls.new_activity_id();
    let (to, cc) = (object.to.clone(), object.cc.clone());
    let object = ActivityObject::Call(Box::new(object));
    let activity =
        envelope::signed_change(&data.vault, author, &id, object, (to.clone(), cc), create)?;
    enqueue(conn, data, author, &id, &activity, &inboxes, public).await?;
    // A body of this instance relays at once what its member addressed to it.
    if let Audience::Union(body) = &audience {
        if data.urls.is_local(body) {
            relay::relay_if_addressed(conn, data, &to, &author.ap_id, &activity).await?;
        }
    }
    relay::relay_through_local_bodies(conn, data, &bodies, &author.ap_id, &activity).await
}

/// A call as it is to be stored.
struct Stored<'a> {
    ap_id: &'a Url,
    author: &'a Url,
    call: &'a CallForSupport,
    status: CallStatus,
    audience: &'a Audience,
    strike: Option<&'a Url>,
    pledged: Totals,
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
    let record = serde_json::to_string(s.call).map_err(|err| Error::Internal(err.to_string()))?;
    Ok(calls::upsert(
        conn,
        &CallWrite {
            ap_id: s.ap_id,
            author: s.author,
            record: &record,
            status: s.status,
            audience: s.audience,
            strike: s.strike,
            pledged: s.pledged,
            is_local: s.is_local,
            updated_at: s.updated_at,
            over_at: s.call.over_at(),
        },
    )
    .await?)
}

/// A chapter posts a call for support to its audience.
pub async fn publish_call(
    data: &Data,
    by: &Authority,
    handle: &str,
    call: CallForSupport,
    audience: Audience,
) -> Result<CallRow> {
    let author = local_group_for(
        data,
        by,
        handle,
        ActorKind::Chapter,
        Permission::PostForGroup,
        "post for this chapter",
    )
    .await?;
    let mut call = call.validated()?;
    call.check_not_over(now_millis())?;
    if call.time_zone.is_none() {
        call.time_zone = super::time::zone_of(&data.store, &author.ap_id).await?;
    }
    let mut tx = data.store.begin_write().await?;
    if let Audience::Union(body) = &audience {
        if !unionhall_store::unions::is_admitted(
            &mut tx,
            unionhall_store::unions::Side::Chapter,
            body,
            &author.ap_id,
        )
        .await?
        {
            return Err(Error::BadRequest(format!(
                "@{handle} is not an admitted member of {body}"
            )));
        }
    }
    let row = insert_call(&mut tx, data, &author, &call, &audience, None).await?;
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(row)
}

/// Stores a new call of ours and sends its Create, in the caller's transaction
/// (a strike creates its picket shifts this way).
pub(crate) async fn insert_call(
    conn: &mut Connection,
    data: &Data,
    author: &ActorRow,
    call: &CallForSupport,
    audience: &Audience,
    strike: Option<&Url>,
) -> Result<CallRow> {
    let ap_id = data.urls.new_call_id();
    let stored = Stored {
        ap_id: &ap_id,
        author: &author.ap_id,
        call,
        status: CallStatus::Open,
        audience,
        strike,
        pledged: Totals::default(),
        is_local: true,
        updated_at: now_millis(),
    };
    write(conn, &stored)
        .await?
        .ok_or_else(|| Error::Internal("a new call id was taken".into()))?;
    let row = calls::by_ap_id(conn, &ap_id)
        .await?
        .ok_or_else(|| Error::Internal(format!("call {ap_id} vanished")))?;
    send_call(conn, data, &row, author, true).await?;
    Ok(row)
}

/// Closes the open picket shifts of a strike that has ended, and tells their
/// audience.
pub(crate) async fn close_shifts(
    conn: &mut Connection,
    data: &Data,
    author: &ActorRow,
    strike: &Url,
) -> Result<()> {
    for shift in calls::shifts_of(conn, strike).await? {
        if shift.status.move_to(CallStatus::Closed).is_ok() {
            calls::set_status(conn, shift.id, CallStatus::Closed).await?;
            let row = calls::by_ap_id(conn, &shift.ap_id)
                .await?
                .ok_or_else(|| Error::Internal("a shift vanished".into()))?;
            send_call(conn, data, &row, author, false).await?;
        }
    }
    Ok(())
}

/// One of our calls, with its author.
pub async fn local_call(data: &Data, id: i64) -> Result<(CallRow, ActorRow)> {
    let row = calls::by_id(&data.store, id)
        .await?
        .filter(|c| c.is_local && c.deleted_at.is_none())
        .ok_or_else(|| Error::NotFound(format!("no call {id} of this instance")))?;
    let author = store_actors::by_ap_id(&data.store, &row.author)
        .await?
        .ok_or_else(|| Error::Internal(format!("the author of call {id} is gone")))?;
    Ok((row, author))
}

/// Edits a call (its status and totals stay) and sends the Update.
pub async fn edit_call(
    data: &Data,
    by: &Authority,
    id: i64,
    call: CallForSupport,
) -> Result<CallRow> {
    let (row, author) = local_call(data, id).await?;
    authorize(
        by,
        &author.ap_id,
        Permission::PostForGroup,
        "post for this chapter",
    )?;
    let mut call = call.validated()?;
    if call.time_zone.is_none() {
        call.time_zone = record_of(&row)?.time_zone;
    }
    let status = row.status;
    change(data, &row, &author, &call, status).await
}

/// Moves a call to another status (met, withdrawn, closed, open again), if its
/// lifecycle allows, and sends the Update.
pub async fn set_status(data: &Data, by: &Authority, id: i64, next: CallStatus) -> Result<CallRow> {
    let (row, author) = local_call(data, id).await?;
    authorize(
        by,
        &author.ap_id,
        Permission::PostForGroup,
        "post for this chapter",
    )?;
    let status = row.status.move_to(next)?;
    let call = record_of(&row)?;
    change(data, &row, &author, &call, status).await
}

/// Closes one of our calls because its time is over (`over.rs`): no one's
/// authority but the clock's, and only if it still stands and is over when
/// read again here (an organizer may have moved it a minute ago), and only
/// as read: of processes closing it at the same time, one moves its status
/// and sends the Update, the others find it moved; an organizer's edit
/// written since it was read leaves it standing (for the next round to judge
/// by the new time), never overwritten with the old. True if this one
/// closed it.
pub(crate) async fn close_as_over(data: &Data, id: i64) -> Result<bool> {
    let (row, author) = local_call(data, id).await?;
    let call = record_of(&row)?;
    if !row.status.takes_pledges() || !call.is_over(now_millis()) {
        return Ok(false);
    }
    let status = row.status.move_to(CallStatus::Closed)?;
    let mut tx = data.store.begin_write().await?;
    if !calls::move_status(&mut tx, &row, status).await? {
        return Ok(false);
    }
    change_in(&mut tx, data, &row, &author, &call, status).await?;
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(true)
}

async fn change(
    data: &Data,
    row: &CallRow,
    author: &ActorRow,
    call: &CallForSupport,
    status: CallStatus,
) -> Result<CallRow> {
    let mut tx = data.store.begin_write().await?;
    let row = change_in(&mut tx, data, row, author, call, status).await?;
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(row)
}

/// Writes the call as it now is and queues its Update, in the caller's
/// transaction.
async fn change_in(
    tx: &mut Connection,
    data: &Data,
    row: &CallRow,
    author: &ActorRow,
    call: &CallForSupport,
    status: CallStatus,
) -> Result<CallRow> {
    let audience = row.audience.clone();
    let stored = Stored {
        ap_id: &row.ap_id,
        author: &row.author,
        call,
        status,
        audience: &audience,
        strike: row.strike.as_ref(),
        pledged: row.pledged,
        is_local: true,
        updated_at: now_millis(),
    };
    write(tx, &stored).await?;
    let row = calls::by_ap_id(tx, &row.ap_id)
        .await?
        .ok_or_else(|| Error::Internal("the call vanished".into()))?;
    send_call(tx, data, &row, author, false).await?;
    Ok(row)
}

/// Refuses (409, with the reason) a pledge or a join to a call that takes no
/// more: withdrawn or closed, or its time over (`over.rs`).
pub(crate) fn check_takes_pledges(call: &CallRow) -> Result<()> {
    if !call.status.takes_pledges() {
        return Err(Error::Conflict(format!(
            "this call is {}: it takes no more pledges",
            call.status.as_str()
        )));
    }
    if record_of(call)?.is_over(now_millis()) {
        return Err(Error::Conflict(
            "this call is over: it takes no more pledges".into(),
        ));
    }
    Ok(())
}

/// A member pledges toward a call (or takes their pledge back, `None`) through
/// one of their chapters. The chapter's new totals go to the calling chapter:
/// stored directly if the call is ours, sent as an Update otherwise.
pub async fn pledge(
    data: &Data,
    by: &Authority,
    call_id: i64,
    chapter: &ActorRow,
    account_id: i64,
    pledge: Option<Pledge>,
) -> Result<PledgeTotals> {
    authorize(
        by,
        &chapter.ap_id,
        Permission::Pledge,
        "pledge for this chapter",
    )?;
    let call = calls::by_id(&data.store, call_id)
        .await?
        .filter(|c| c.deleted_at.is_none())
        .ok_or_else(|| Error::NotFound(format!("no call {call_id}")))?;
    if pledge.is_some() {
        check_takes_pledges(&call)?;
    }
    let mut tx = data.store.begin_write().await?;
    match pledge {
        Some(pledge) => {
            let pledge = pledge.validated()?;
            let (kind, amount) = match pledge {
                Pledge::Attend => ("attend", 0),
                Pledge::Give { amount } => ("give", amount as i64),
                Pledge::Act => ("act", 0),
            };
            let row = PledgeRow {
                kind: kind.into(),
                amount,
            };
            calls::set_pledge(&mut tx, call_id, &chapter.ap_id, account_id, &row).await?;
        }
        None => {
            if !calls::remove_pledge(&mut tx, call_id, &chapter.ap_id, account_id).await? {
                return Err(Error::NotFound("you have no pledge here".into()));
            }
        }
    }
    let pledges: Vec<Pledge> = calls::pledges_of_chapter(&mut tx, call_id, &chapter.ap_id)
        .await?
        .into_iter()
        .map(|p| match p.kind.as_str() {
            "give" => Pledge::Give {
                amount: p.amount.max(0) as u64,
            },
            "act" => Pledge::Act,
            _ => Pledge::Attend,
        })
        .collect();
    let totals = PledgeTotals::of(&pledges);
    if call.is_local {
        calls::set_chapter_totals(
            &mut tx,
            call_id,
            &chapter.ap_id,
            stored_totals(totals),
            now_millis(),
        )
        .await?;
        publish_running_total(&mut tx, data, &call).await?;
    } else {
        send_pledge_total(&mut tx, data, &call, chapter, totals).await?;
    }
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(totals)
}

/// Sends a chapter's totals for a remote call to the calling chapter only.
async fn send_pledge_total(
    conn: &mut Connection,
    data: &Data,
    call: &CallRow,
    chapter: &ActorRow,
    totals: PledgeTotals,
) -> Result<()> {
    let author = store_actors::by_ap_id_in(conn, &call.author)
        .await?
        .ok_or_else(|| Error::Internal("the calling chapter is unknown".into()))?;
    let handle = chapter.handle.clone().unwrap_or_default();
    let object = PledgeTotalJson {
        kind: PLEDGE_TOTAL.into(),
        id: data.urls.pledge_total(&handle, &call.ap_id),
        attributed_to: chapter.ap_id.clone(),
        call: call.ap_id.clone(),
        totals: TotalsJson {
            people: totals.people,
            amount: totals.amount,
            actions: totals.actions,
        },
        content: pledge_sentence(&chapter.name, totals, &record_of(call)?.goal.currency),
        updated: rfc3339(now_millis()).unwrap_or_default(),
        to: vec![author.ap_id.clone()],
    };
    let id = data.urls.new_activity_id();
    let activity = Update {
        kind: UpdateType::Update,
        id: id.clone(),
        actor: chapter.ap_id.clone(),
        to: vec![author.ap_id.clone()],
        cc: Vec::new(),
        object: ActivityObject::PledgeTotal(object),
    };
    let inbox = [author.delivery_inbox().clone()];
    enqueue(conn, data, chapter, &id, &activity, &inbox, false).await
}

/// "Millers Local 3 pledges 4 people and 120.00 USD."
fn pledge_sentence(chapter: &str, totals: PledgeTotals, currency: &str) -> String {
    let mut parts = Vec::new();
    if totals.people > 0 {
        let noun = if totals.people == 1 {
            "person"
        } else {
            "people"
        };
        parts.push(format!("{} {noun}", totals.people));
    }
    if totals.amount > 0 {
        parts.push(money(totals.amount, currency));
    }
    if totals.actions > 0 {
        let noun = if totals.actions == 1 {
            "action"
        } else {
            "actions"
        };
        parts.push(format!("{} {noun}", totals.actions));
    }
    if parts.is_empty() {
        format!("{chapter} has no pledges now.")
    } else {
        format!("{chapter} pledges {}.", parts.join(" and "))
    }
}

/// Adds up every chapter's totals for one of our calls and the people who
/// joined it from elsewhere on the fediverse (`interaction.rs`), stores the
/// running total and sends the call's Update to its audience.
async fn publish_running_total(conn: &mut Connection, data: &Data, call: &CallRow) -> Result<()> {
    let from_the_fediverse =
        interactions::count(conn, &call.ap_id, interactions::Kind::Join).await?;
    let total = calls::chapter_totals(conn, call.id)
        .await?
        .into_iter()
        // Saturating: no set of chapters' figures wraps the total around.
        .fold(
            Totals {
                people: from_the_fediverse,
                ..Totals::default()
            },
            |t, (_, c)| Totals {
                people: t.people.saturating_add(c.people.max(0)),
                amount: t.amount.saturating_add(c.amount.max(0)),
                actions: t.actions.saturating_add(c.actions.max(0)),
            },
        );
    calls::set_pledged(conn, call.id, total).await?;
    let row = calls::by_ap_id(conn, &call.ap_id)
        .await?
        .ok_or_else(|| Error::Internal("the call vanished".into()))?;
    let author = store_actors::by_ap_id_in(conn, &call.author)
        .await?
        .ok_or_else(|| Error::Internal("the call's chapter is gone".into()))?;
    send_call(conn, data, &row, &author, false).await
}

/// [`publish_running_total`] of our call `ap_id`, after a join from elsewhere
/// on the fediverse came or went.
pub(crate) async fn publish_running_total_of(
    conn: &mut Connection,
    data: &Data,
    ap_id: &Url,
) -> Result<()> {
    let call = calls::by_ap_id(conn, ap_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no call {ap_id} here")))?;
    // A deleted call is not brought back by someone leaving it.
    if call.deleted_at.is_some() {
        return Ok(());
    }
    publish_running_total(conn, data, &call).await
}

/// How many joined one of our calls from elsewhere on the fediverse (Mobilizon,
/// Friendica, ...): the one line of the breakdown that is no chapter.
pub async fn from_the_fediverse(data: &Data, ap_id: &Url) -> Result<i64> {
    let mut conn = data.store.acquire().await?;
    Ok(interactions::count(&mut conn, ap_id, interactions::Kind::Join).await?)
}

/// The per-chapter breakdown of one of our calls: (chapter id, its totals).
pub async fn breakdown(data: &Data, call_id: i64) -> Result<Vec<(Url, Totals)>> {
    let mut conn = data.store.acquire().await?;
    Ok(calls::chapter_totals(&mut conn, call_id).await?)
}

/// A call arrives (Create or Update) from a chapter we follow, that names one of
/// ours, or relayed by a union body we belong to (`received.relayed_by`, once
/// `relay.rs` has proven it).
pub(crate) async fn receive_call(
    data: &Data,
    received: Received<'_>,
    call: CallJson,
) -> Result<()> {
    let (actor, relayed_by) = (received.actor, received.relayed_by);
    receive::check_authorship(data, &call.id, &call.attributed_to, actor, "post calls")?;
    let record = CallForSupport {
        kind: unionhall_domain::CallKind::parse(&call.call_kind)?,
        title: call
            .name
            .split_once(": ")
            .map_or(call.name.as_str(), |(_, title)| title)
            .to_owned(),
        details: String::new(),
        place: call.location.as_ref().map(|p| Place {
            address: p.name.clone(),
            latitude: p.latitude,
            longitude: p.longitude,
        }),
        starts_at: parse_time(&call.start_time, "startTime")?,
        ends_at: parse_time(&call.end_time, "endTime")?,
        deadline: parse_time(&call.deadline, "deadline")?,
        goal: Goal {
            people: call.goal.people,
            amount: call.goal.amount,
            currency: call.goal.currency.clone(),
            fund_url: call
                .goal
                .fund_url
                .as_ref()
                .map(Url::to_string)
                .unwrap_or_default(),
        },
        time_zone: super::time::received_zone(call.timezone.as_deref(), &call.id),
    }
    .validated()?;
    let status = CallStatus::parse(&call.call_status)?;
    let addressed_to_us = call
        .to
        .iter()
        .chain(&call.cc)
        .any(|u| data.urls.is_local(u));
    let followed = follows::is_following(&data.store, actor).await?;
    let public = call.to.iter().chain(&call.cc).any(|u| u.as_str() == PUBLIC);
    // A body is named in `to` by what a member addresses to its union, in
    // `cc` by a picket shift, which goes to all of the chapter's unions.
    let addressees: Vec<Url> = call.to.iter().chain(&call.cc).cloned().collect();
    let to_our_body = relay::our_body_among(data, &addressees).await?;
    // The audience is the author's, whoever relayed the call: a relay of a
    // public call keeps it public, and `relay.rs` took a union call only from
    // a body it names.
    let audience = if public {
        Audience::Public
    } else if let Some(body) = relayed_by.cloned().or_else(|| to_our_body.clone()) {
        Audience::Union(body)
    } else if addressed_to_us && !followed {
        Audience::Chapters(
            call.to
                .iter()
                .filter(|u| data.urls.is_local(u))
                .cloned()
                .collect(),
        )
    } else {
        Audience::Followers
    };
    // Only what this instance asked for, or was sent as a member or chapter.
    if !(followed || addressed_to_us || relayed_by.is_some()) {
        return Ok(());
    }
    // The organizer's own words travel as `source`; without it (another
    // implementation), keep the HTML content, which pages must sanitise.
    let mut record = record;
    record.details = match &call.source {
        Some(source) if source.media_type == "text/plain" => source.content.clone(),
        _ => call.content.clone(),
    };
    let pledged = Totals {
        people: call.pledged.people as i64,
        amount: call.pledged.amount as i64,
        actions: call.pledged.actions as i64,
    };
    let stored = Stored {
        ap_id: &call.id,
        author: actor,
        call: &record,
        status,
        audience: &audience,
        strike: call.strike.as_ref(),
        pledged,
        is_local: false,
        updated_at: parse_time(&call.updated, "updated")?.unwrap_or_else(now_millis),
    };
    // Addressed to a body of ours by a member: the body relays it.
    let relay_to = to_our_body.is_some().then_some(addressees.as_slice());
    receive::apply(data, received, &stored, relay_to).await
}

/// A chapter's pledge totals for one of our calls arrive. Taken only from a
/// group with a reason to pledge (it follows the calling chapter, the call
/// names it, or the two share a union body), and only within the bounds set
/// in `federation.max_pledged_*`.
pub async fn receive_pledge_total(
    data: &Data,
    id: &Url,
    actor: &Url,
    total: PledgeTotalJson,
) -> Result<()> {
    same_actor(&total.attributed_to, actor, "pledge")?;
    verify_domains_match(&total.id, actor)?;
    let sent_at = parse_time(&Some(total.updated.clone()), "updated")?.unwrap_or_default();
    let call = {
        let mut conn = data.store.acquire().await?;
        calls::by_ap_id(&mut conn, &total.call).await?
    }
    .filter(|c| c.is_local && c.deleted_at.is_none())
    .ok_or_else(|| Error::NotFound(format!("{} is not a call of this instance", total.call)))?;
    let bounds = data.settings.max_pledged;
    let figures = &total.totals;
    if figures.people.max(figures.actions) > bounds.people || figures.amount > bounds.amount {
        metrics::counter!("unionhall_pledge_totals_refused_total", "reason" => "bounds")
            .increment(1);
        return Err(Error::BadRequest(format!(
            "pledge totals over the bounds of this instance ({} people or actions, {} in cents)",
            bounds.people, bounds.amount
        )));
    }
    if !may_pledge(data, &call, actor).await? {
        metrics::counter!("unionhall_pledge_totals_refused_total", "reason" => "stranger")
            .increment(1);
        return Err(Error::Forbidden(format!(
            "{actor} neither follows {}, nor was named by the call, nor shares a union body with it",
            call.author
        )));
    }
    let mut tx = data.store.begin_write().await?;
    if !first_time(&mut tx, id, actor).await? {
        return Ok(unionhall_store::commit(tx).await?);
    }
    let totals = Totals {
        people: i64::try_from(total.totals.people).unwrap_or(i64::MAX),
        amount: i64::try_from(total.totals.amount).unwrap_or(i64::MAX),
        actions: i64::try_from(total.totals.actions).unwrap_or(i64::MAX),
    };
    if calls::set_chapter_totals(&mut tx, call.id, actor, totals, sent_at).await? {
        publish_running_total(&mut tx, data, &call).await?;
    }
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(())
}

/// Whether the group `actor` may send totals for `call`: it is a group, and
/// its server follows the calling chapter (chapters follow through their
/// instance's actor), the call names it, or it shares a union body with the
/// calling chapter.
async fn may_pledge(data: &Data, call: &CallRow, actor: &Url) -> Result<bool> {
    let is_group = store_actors::by_ap_id(&data.store, actor)
        .await?
        .is_some_and(|a| a.ap_type == "Group");
    if !is_group {
        return Ok(false);
    }
    let origin = actor.origin().ascii_serialization();
    if call.audience.addressees().contains(actor)
        || follows::has_follower_at(&data.store, &call.author, &origin).await?
    {
        return Ok(true);
    }
    let bodies = {
        let mut conn = data.store.acquire().await?;
        let bodies = relay::admitted_bodies(&mut conn, &call.author).await?;
        let mut local_member = false;
        for body in bodies.iter().filter(|b| data.urls.is_local(b)) {
            local_member |= unionhall_store::unions::is_admitted(
                &mut conn,
                unionhall_store::unions::Side::Body,
                body,
                actor,
            )
            .await?;
        }
        if local_member {
            return Ok(true);
        }
        bodies
    };
    for body in bodies.iter().filter(|b| !data.urls.is_local(b)) {
        if super::relay::is_member(data, body, actor)
            .await
            .unwrap_or(false)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pledge_totals_read_as_a_sentence() {
        let t = |people, amount, actions| PledgeTotals {
            people,
            amount,
            actions,
        };
        assert_eq!(
            pledge_sentence("Millers", t(1, 0, 0), "USD"),
            "Millers pledges 1 person."
        );
        assert_eq!(
            pledge_sentence("Millers", t(4, 12_000, 2), "USD"),
            "Millers pledges 4 people and 120.00 USD and 2 actions."
        );
        assert_eq!(
            pledge_sentence("Millers", t(0, 0, 0), "USD"),
            "Millers has no pledges now."
        );
    }
}
