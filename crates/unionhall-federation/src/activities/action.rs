//! Coordinated actions: an officer of one of our bodies proposes an action to
//! its member chapters (Create to each); each chapter's organizers answer commit
//! (with a count) or decline (Update of an `ActionAnswer`, to the body alone); the
//! body publishes the tally with every answer and, after the deadline, confirms
//! the action or calls it off (Update).

use super::{
    authorize, first_time, parse_time, receive, relay, rfc3339, same_actor, wake, Received,
};
use crate::delivery::{enqueue, enqueue_to};
use crate::protocol::action::{ActionAnswerJson, ActionJson, TallyJson, ACTION_ANSWER};
use crate::protocol::call::{PlaceJson, SourceJson};
use crate::protocol::note::plain_text_to_html;
use crate::protocol::{ActivityObject, Create, Update};
use crate::{Data, Error, Result};
use activitypub_federation::kinds::activity::{CreateType, UpdateType};
use activitypub_federation::protocol::verification::verify_domains_match;
use unionhall_domain::{
    ActionAnswer, ActionStatus, ActorKind, Authority, CoordinatedAction, Permission, Place,
};
use unionhall_store::actions::{self, ActionRow, ActionWrite, AnswerRow};
use unionhall_store::actors::{self as store_actors, ActorRow};
use unionhall_store::unions::{self, Side};
use unionhall_store::{now_millis, Connection};
use url::Url;

pub fn record_of(row: &ActionRow) -> Result<CoordinatedAction> {
    serde_json::from_str(&row.record)
        .map_err(|err| Error::Internal(format!("action {} is unreadable: {err}", row.id)))
}

/// The tally of an action: ours from the answers, a received one as published.
pub async fn tally_of(conn: &mut Connection, row: &ActionRow) -> Result<Vec<TallyJson>> {
    if row.is_local {
        Ok(actions::answers(conn, row.id)
            .await?
            .into_iter()
            .map(|a| TallyJson {
                chapter: a.chapter,
                answer: a.answer,
                people: a.people.max(0) as u64,
            })
            .collect())
    } else {
        serde_json::from_str(&row.tally).map_err(|err| Error::Internal(err.to_string()))
    }
}

fn content_of(action: &CoordinatedAction, status: ActionStatus, tally: &[TallyJson]) -> String {
    let mut text = String::new();
    if status != ActionStatus::Proposed {
        text.push_str(&format!("[{}]\n\n", status.label().to_uppercase()));
    }
    text.push_str(&action.details);
    if !action.commitment.is_empty() {
        text.push_str(&format!("\n\nCommitting means: {}", action.commitment));
    }
    if let Some(deadline) = rfc3339(action.decision_deadline) {
        text.push_str(&format!("\nChapters decide by {deadline}"));
    }
    let committed: Vec<&TallyJson> = tally.iter().filter(|t| t.answer == "commit").collect();
    let people: u64 = committed.iter().map(|t| t.people).sum();
    text.push_str(&format!(
        "\n{} chapter(s) committed with {people} people; {} declined",
        committed.len(),
        tally.len() - committed.len()
    ));
    plain_text_to_html(&text)
}

pub async fn action_json(conn: &mut Connection, row: &ActionRow) -> Result<ActionJson> {
    let action = record_of(row)?;
    let status = row.status;
    let tally = tally_of(conn, row).await?;
    Ok(ActionJson {
        kind: if action.starts_at.is_some() {
            "Event"
        } else {
            "Page"
        }
        .into(),
        id: row.ap_id.clone(),
        attributed_to: row.author.clone(),
        name: format!("{}: {}", status.label(), action.title),
        content: content_of(&action, status, &tally),
        source: Some(SourceJson {
            content: action.details.clone(),
            media_type: "text/plain".into(),
        }),
        action_status: status.as_str().into(),
        decision_deadline: rfc3339(action.decision_deadline).unwrap_or_default(),
        commitment: action.commitment.clone(),
        start_time: action.starts_at.and_then(rfc3339),
        location: action.place.as_ref().map(|p| PlaceJson {
            kind: "Place".into(),
            name: p.address.clone(),
            latitude: p.latitude,
            longitude: p.longitude,
        }),
        tally,
        published: rfc3339(row.published_at),
        updated: rfc3339(row.updated_at),
        to: vec![relay::members_url(&row.author)],
        cc: Vec::new(),
    })
}

/// Sends the action as it now is to the body's admitted members elsewhere.
async fn send_action(
    conn: &mut Connection,
    data: &Data,
    row: &ActionRow,
    body: &ActorRow,
    create: bool,
) -> Result<()> {
    let object = action_json(conn, row).await?;
    let mut inboxes = Vec::new();
    for member in unions::members_of(conn, &body.ap_id)
        .await?
        .into_iter()
        .filter(|m| m.accepted_at.is_some())
    {
        if let Some(actor) = store_actors::by_ap_id_in(conn, &member.chapter).await? {
            inboxes.push(actor.delivery_inbox().clone());
        }
    }
    let id = data.urls.new_activity_id();
    let (to, cc) = (object.to.clone(), object.cc.clone());
    let object = ActivityObject::Action(Box::new(object));
    if create {
        let activity = Create {
            kind: CreateType::Create,
            id: id.clone(),
            actor: body.ap_id.clone(),
            object,
            to,
            cc,
        };
        enqueue(conn, data, body, &id, &activity, &inboxes, false).await
    } else {
        let activity = Update {
            kind: UpdateType::Update,
            id: id.clone(),
            actor: body.ap_id.clone(),
            object,
            to,
            cc,
        };
        enqueue(conn, data, body, &id, &activity, &inboxes, false).await
    }
}

/// A chapter just admitted to `body` gets the body's actions that still stand,
/// each as it now is, so that it can answer those still being decided. Sent
/// with the Accept, in its transaction; the chapter's server takes them even
/// if they arrive before it (see `receive_action`).
pub(crate) async fn send_standing_actions_to(
    conn: &mut Connection,
    data: &Data,
    body: &ActorRow,
    chapter: &ActorRow,
) -> Result<()> {
    for row in actions::standing_of(conn, &body.ap_id).await? {
        let object = action_json(conn, &row).await?;
        let id = data.urls.new_activity_id();
        let activity = Create {
            kind: CreateType::Create,
            id: id.clone(),
            actor: body.ap_id.clone(),
            to: object.to.clone(),
            cc: object.cc.clone(),
            object: ActivityObject::Action(Box::new(object)),
        };
        enqueue_to(conn, data, body, &id, &activity, chapter).await?;
    }
    Ok(())
}

fn record_json(action: &CoordinatedAction) -> Result<String> {
    serde_json::to_string(action).map_err(|err| Error::Internal(err.to_string()))
}

/// Marks an action changed and reads it again, so the version sent is newer
/// than every one before it.
async fn touched(conn: &mut Connection, row: &ActionRow) -> Result<ActionRow> {
    actions::touch(conn, row.id).await?;
    actions::by_ap_id(conn, &row.ap_id)
        .await?
        .ok_or_else(|| Error::Internal("the action vanished".into()))
}

/// One of our bodies proposes an action to its members.
pub async fn propose(
    data: &Data,
    by: &Authority,
    body_handle: &str,
    action: CoordinatedAction,
) -> Result<ActionRow> {
    let body = store_actors::local_by_handle(&data.store, body_handle)
        .await?
        .filter(|a| a.kind == ActorKind::Union)
        .ok_or_else(|| Error::NotFound(format!("no union body @{body_handle} here")))?;
    authorize(
        by,
        &body.ap_id,
        Permission::PostForGroup,
        "propose for this body",
    )?;
    let action = action.validated()?;
    if action.decision_deadline <= now_millis() {
        return Err(Error::BadRequest(
            "the decision deadline has passed already".into(),
        ));
    }
    let ap_id = data.urls.new_action_id();
    let mut tx = data.store.begin_write().await?;
    let record = record_json(&action)?;
    let write = ActionWrite {
        ap_id: &ap_id,
        author: &body.ap_id,
        record: &record,
        status: ActionStatus::Proposed,
        tally: "[]",
        is_local: true,
        updated_at: now_millis(),
    };
    actions::upsert(&mut tx, &write).await?;
    let row = actions::by_ap_id(&mut tx, &ap_id)
        .await?
        .ok_or_else(|| Error::Internal("the action vanished".into()))?;
    send_action(&mut tx, data, &row, &body, true).await?;
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(row)
}

/// Confirms an action after its deadline, or calls it off.
/// Whether `by` may move the body's action `id` to `next` now, changing
/// nothing (a page asks before the change): the action, the body and the
/// status it would have.
pub async fn check_decision(
    data: &Data,
    by: &Authority,
    id: i64,
    next: ActionStatus,
) -> Result<(ActionRow, ActorRow, ActionStatus)> {
    let (row, body) = local_action(data, id).await?;
    authorize(
        by,
        &body.ap_id,
        Permission::PostForGroup,
        "decide for this body",
    )?;
    let action = record_of(&row)?;
    let status = row
        .status
        .move_to(next, action.decision_deadline, now_millis())?;
    Ok((row, body, status))
}

pub async fn set_status(
    data: &Data,
    by: &Authority,
    id: i64,
    next: ActionStatus,
) -> Result<ActionRow> {
    let (row, body, status) = check_decision(data, by, id, next).await?;
    let mut tx = data.store.begin_write().await?;
    actions::set_status(&mut tx, row.id, status).await?;
    let row = actions::by_ap_id(&mut tx, &row.ap_id)
        .await?
        .ok_or_else(|| Error::Internal("the action vanished".into()))?;
    send_action(&mut tx, data, &row, &body, false).await?;
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(row)
}

/// One of our bodies' actions, with the body.
pub async fn local_action(data: &Data, id: i64) -> Result<(ActionRow, ActorRow)> {
    let row = actions::by_id(&data.store, id)
        .await?
        .filter(|a| a.is_local)
        .ok_or_else(|| Error::NotFound(format!("no action {id} of this instance")))?;
    let body = store_actors::by_ap_id(&data.store, &row.author)
        .await?
        .ok_or_else(|| Error::Internal("the action's body is gone".into()))?;
    Ok((row, body))
}

/// A chapter of ours answers an action of one of its bodies. Our own copy keeps
/// the answer; the body gets it (directly if it is ours, else as an Update).
pub async fn answer(
    data: &Data,
    by: &Authority,
    id: i64,
    chapter: &ActorRow,
    answer: ActionAnswer,
) -> Result<()> {
    authorize(
        by,
        &chapter.ap_id,
        Permission::PostForGroup,
        "answer for this chapter",
    )?;
    let answer = answer.validated()?;
    let row = actions::by_id(&data.store, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no action {id}")))?;
    let action = record_of(&row)?;
    let now = now_millis();
    if !row.status.takes_answers(action.decision_deadline, now) {
        return Err(Error::Conflict("this action takes no more answers".into()));
    }
    let body = store_actors::by_ap_id(&data.store, &row.author)
        .await?
        .ok_or_else(|| Error::Internal("the action's body is unknown".into()))?;
    let mut tx = data.store.begin_write().await?;
    if !unions::is_admitted(&mut tx, Side::Chapter, &row.author, &chapter.ap_id).await? {
        return Err(Error::Forbidden(format!(
            "{} is not a member of this action's body",
            chapter.ap_id
        )));
    }
    let stored = AnswerRow {
        chapter: chapter.ap_id.clone(),
        answer: answer.as_str().into(),
        people: i64::from(answer.people()),
        sent_at: now,
    };
    actions::set_answer(&mut tx, row.id, &stored).await?;
    if row.is_local {
        let row = touched(&mut tx, &row).await?;
        send_action(&mut tx, data, &row, &body, false).await?;
    } else {
        let object = ActionAnswerJson {
            kind: ACTION_ANSWER.into(),
            id: data
                .urls
                .action_answer(chapter.handle.as_deref().unwrap_or_default(), &row.ap_id),
            attributed_to: chapter.ap_id.clone(),
            action: row.ap_id.clone(),
            answer: answer.as_str().into(),
            people: u64::from(answer.people()),
            content: match answer {
                ActionAnswer::Commit { people } => {
                    format!("{} commits, with {people} people.", chapter.name)
                }
                ActionAnswer::Decline => format!("{} declines.", chapter.name),
            },
            updated: rfc3339(now).unwrap_or_default(),
            to: vec![body.ap_id.clone()],
        };
        let activity_id = data.urls.new_activity_id();
        let activity = Update {
            kind: UpdateType::Update,
            id: activity_id.clone(),
            actor: chapter.ap_id.clone(),
            to: vec![body.ap_id.clone()],
            cc: Vec::new(),
            object: ActivityObject::ActionAnswer(object),
        };
        let inbox = [body.delivery_inbox().clone()];
        enqueue(
            &mut tx,
            data,
            chapter,
            &activity_id,
            &activity,
            &inbox,
            false,
        )
        .await?;
    }
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(())
}

/// A body we belong to proposes or updates an action.
pub(crate) async fn receive_action(
    data: &Data,
    received: Received<'_>,
    json: ActionJson,
) -> Result<()> {
    let actor = received.actor;
    receive::check_authorship(
        data,
        &json.id,
        &json.attributed_to,
        actor,
        "propose actions",
    )?;
    // A body sends a chapter it admits its standing actions with the Accept;
    // one that overtakes the Accept is asked to come again (425).
    match unions::our_standing_with(&data.store, actor).await? {
        unions::Standing::Admitted => {}
        unions::Standing::Applied => {
            return Err(Error::TooEarly(format!(
                "{actor} has not admitted a chapter of ours yet; send this after the Accept"
            )))
        }
        unions::Standing::Stranger => {
            return Err(Error::Forbidden(format!(
                "{actor} is not a union body we belong to"
            )))
        }
    }
    let status = ActionStatus::parse(&json.action_status)?;
    let action = CoordinatedAction {
        title: json
            .name
            .split_once(": ")
            .map_or(json.name.as_str(), |(_, t)| t)
            .to_owned(),
        details: match &json.source {
            Some(source) if source.media_type == "text/plain" => source.content.clone(),
            _ => json.content.clone(),
        },
        place: json.location.as_ref().map(|p| Place {
            address: p.name.clone(),
            latitude: p.latitude,
            longitude: p.longitude,
        }),
        starts_at: parse_time(&json.start_time, "startTime")?,
        decision_deadline: parse_time(&Some(json.decision_deadline.clone()), "decisionDeadline")?
            .unwrap_or_default(),
        commitment: json.commitment.clone(),
    }
    .validated()?;
    let tally =
        serde_json::to_string(&json.tally).map_err(|err| Error::Internal(err.to_string()))?;
    let record = record_json(&action)?;
    let version = ActionWrite {
        ap_id: &json.id,
        author: actor,
        record: &record,
        status,
        tally: &tally,
        is_local: false,
        updated_at: parse_time(&json.updated, "updated")?.unwrap_or_else(now_millis),
    };
    receive::apply(data, received, &version, None).await
}

impl receive::Version for ActionWrite<'_> {
    fn object_id(&self) -> &Url {
        self.ap_id
    }

    async fn store(&self, conn: &mut Connection) -> Result<()> {
        // None: an older version than ours, delivered late; nothing to do.
        actions::upsert(conn, self).await.map(|_| ())?;
        Ok(())
    }
}

/// A member chapter answers one of our bodies' actions.
pub async fn receive_answer(
    data: &Data,
    id: &Url,
    actor: &Url,
    json: ActionAnswerJson,
) -> Result<()> {
    same_actor(&json.attributed_to, actor, "answer")?;
    verify_domains_match(&json.id, actor)?;
    let sent_at = parse_time(&Some(json.updated.clone()), "updated")?.unwrap_or_default();
    let answer = match json.answer.as_str() {
        "commit" => ActionAnswer::Commit {
            people: u32::try_from(json.people).unwrap_or(u32::MAX),
        },
        "decline" => ActionAnswer::Decline,
        other => {
            return Err(Error::BadRequest(format!(
                "answer {other:?} is neither commit nor decline"
            )))
        }
    }
    .validated()?;
    let mut tx = data.store.begin_write().await?;
    let row = actions::by_ap_id(&mut tx, &json.action)
        .await?
        .filter(|a| a.is_local)
        .ok_or_else(|| {
            Error::NotFound(format!("{} is not an action of this instance", json.action))
        })?;
    if !unions::is_admitted(&mut tx, Side::Body, &row.author, actor).await? {
        return Err(Error::Forbidden(format!(
            "{actor} is not a member of {}",
            row.author
        )));
    }
    let action = record_of(&row)?;
    if !row
        .status
        .takes_answers(action.decision_deadline, now_millis())
    {
        return Err(Error::Conflict("this action takes no more answers".into()));
    }
    if !first_time(&mut tx, id, actor).await? {
        return Ok(unionhall_store::commit(tx).await?);
    }
    let stored = AnswerRow {
        chapter: actor.clone(),
        answer: answer.as_str().into(),
        people: i64::from(answer.people()),
        sent_at,
    };
    if actions::set_answer(&mut tx, row.id, &stored).await? {
        let body = store_actors::by_ap_id_in(&mut tx, &row.author)
            .await?
            .ok_or_else(|| Error::Internal("the body is gone".into()))?;
        let row = touched(&mut tx, &row).await?;
        send_action(&mut tx, data, &row, &body, false).await?;
    }
    unionhall_store::commit(tx).await?;
    wake(data);
    Ok(())
}
