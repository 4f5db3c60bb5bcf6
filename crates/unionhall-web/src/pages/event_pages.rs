//! A call's and a strike's own page, local or received: everything the object
//! carries (when on the clocks where it happens, where with a map, details,
//! goal and progress, the fund, shifts, demands, history), the reader's pledge,
//! for the chapter's own members the replies it got from the fediverse, and
//! for its organizers who of their members is coming.
//! Feeds, calendars, board cards and the objects' ActivityPub ids (opened in a
//! browser) lead here.

use super::home::{chapters_allowing, is_member_of, may_post_for, own_pledges};
use super::layout::{render, Layout};
use super::views::{call_view, strike_view, CallView, Names, StrikeView};
use crate::auth::MaybeCaller;
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use unionhall_domain::Permission;
use unionhall_federation::activities::{call as calls_fed, strike as strikes_fed};
use unionhall_members::{Pledger, Principal};
use unionhall_store::{calls, strikes};

#[derive(Template)]
#[template(path = "call.html")]
struct CallPage {
    layout: Layout,
    call: CallView,
    status: &'static str,
    /// The strike a picket shift belongs to: (page, employer).
    strike: Option<(String, String)>,
    /// The calling chapter's page when it is on this server; else its
    /// address (`@strikers@elsewhere.example`), shown as text.
    chapter_page: Option<String>,
    chapter_address: String,
    compose_many: bool,
    /// Whether it is done with (over, or no longer taking pledges): who
    /// pledged is forgotten a while after (`retention.pledges_days`).
    done_with: bool,
    /// Per chapter of the reader's they may see the roster of, who pledged:
    /// (name on their record or "", account, what they pledged), and whether
    /// the reader may tag their records (`tag_pledgers.rs`).
    coming: Vec<(String, Vec<SheetLine>, bool)>,
    /// The tag the sign-in sheet suggests for keeping who pledged.
    suggested_tag: String,
    /// For the calling chapter's organizers: what the rest of the fediverse
    /// did with the call ("3 people joined from elsewhere on the fediverse",
    /// "shared 14 times, liked 30 times"), counts only.
    reach: Vec<String>,
    /// For the calling chapter's members: replies from the fediverse (a
    /// Lemmy comment, a Mastodon reply), as (who, when, text), oldest first,
    /// and how many there are in all.
    replies: (i64, Vec<(String, String, String)>),
}

#[derive(serde::Deserialize)]
pub(crate) struct CallQuery {
    done: Option<String>,
    /// After tagging the records of who pledged (`tag_pledgers.rs`).
    tagged: Option<usize>,
    without: Option<usize>,
}

/// A line of the sign-in sheet: the name on the record (or ""), the account,
/// what they pledged.
type SheetLine = (String, String, String);

#[derive(Template)]
#[template(path = "strike.html")]
struct StrikePage {
    layout: Layout,
    strike: StrikeView,
    workplace: String,
    starts: Option<String>,
    demands: Vec<String>,
    details: String,
    outcome: String,
    fund_url: String,
    /// Its picket shifts, each a call of its own: (page, when and where).
    shifts: Vec<(String, String)>,
    history: Vec<String>,
    /// For its chapter's organizers: how often it was shared and liked.
    reach: Vec<String>,
    /// For its chapter's members: replies from the fediverse, as on a call's
    /// page.
    replies: (i64, Vec<(String, String, String)>),
}

/// A call: public ones to anyone, the others to the accounts they are meant
/// for (`board::Readers`); to anyone else it does not exist.
pub(crate) async fn call(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<i64>,
    Query(done): Query<CallQuery>,
) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound(format!("no call {id}"));
    let row = calls::by_id(&state.store, id)
        .await?
        .ok_or_else(not_found)?;
    let readable = match &caller {
        Some(p) => crate::board::Readers::of(&state.store, p)
            .await?
            .may_read(&row),
        None => row.audience.is_public(),
    };
    if !readable {
        return Err(not_found());
    }
    if row.deleted_at.is_some() {
        return Err(AppError::Gone(format!("call {id} was deleted")));
    }
    let zone = super::zones::of_account(&state, caller.as_ref()).await?;
    let mut names = Names::default();
    let record = calls_fed::record_of(&row)?;
    let over = record.is_over(unionhall_store::now_millis());
    let takes_pledges = row.status.takes_pledges() && !over;
    let pledge_as = match (&caller, takes_pledges) {
        (Some(p), true) => chapters_allowing(&state, p, Permission::Pledge).await,
        _ => Vec::new(),
    };
    let mut view = call_view(&state.store, &mut names, &row, &pledge_as, zone).await?;
    let mut coming = Vec::new();
    let mut reach = Vec::new();
    let mut replies = (0, Vec::new());
    if let Some(principal) = &caller {
        if row.is_local && is_member_of(&state, principal, &row.author).await {
            replies = replies_to(&state, &row.ap_id, zone.unwrap_or_default()).await?;
        }
        view.set_mine(own_pledges(&state, principal, &row).await?);
        let organizer = row.is_local && may_post_for(&state, principal, &row.author).await;
        view.manage = organizer && takes_pledges;
        if organizer {
            reach = reach_of(&state, &row.ap_id).await?;
        }
        let currency = view.currency.clone();
        coming = who_is_coming(&state, principal, row.id)
            .await?
            .into_iter()
            .map(|(chapter, people, may_tag)| {
                let lines = people
                    .into_iter()
                    .map(|p| {
                        let what = match p.kind.as_str() {
                            "attend" => "coming".to_owned(),
                            "give" => format!("gives {}", super::views::money(p.amount, &currency)),
                            _ => "did it".to_owned(),
                        };
                        (p.name.unwrap_or_default(), p.username, what)
                    })
                    .collect();
                (chapter, lines, may_tag)
            })
            .collect();
    }
    let strike = match &row.strike {
        Some(ap_id) => {
            let mut conn = state.store.acquire().await?;
            match strikes::by_ap_id(&mut conn, ap_id).await? {
                Some(s) => Some((
                    format!("/strike/{}", s.id),
                    strikes_fed::record_of(&s)?.employer,
                )),
                None => None,
            }
        }
        None => None,
    };
    let (chapter_page, chapter_address) = chapter_link(&state, &row.author).await?;
    let flash = match done.done.as_deref() {
        Some("pledged") => Some("Done: your pledge is counted.".to_owned()),
        Some("withdrawn") => Some("Done: your pledge is taken back.".to_owned()),
        Some("corrected") => {
            Some("Done: the call is corrected, and its followers are told.".to_owned())
        }
        Some("tagged") => Some(super::tag_pledgers::flash(
            done.tagged.unwrap_or_default(),
            done.without.unwrap_or_default(),
        )),
        _ => None,
    };
    let day = record.time_zone.or(zone).unwrap_or_default();
    let suggested_tag = super::tag_pledgers::suggested_tag(
        &record.title,
        &day.form_date(record.starts_at.unwrap_or(row.published_at)),
    );
    let layout = Layout::of(&state, caller.as_ref());
    render(
        StatusCode::OK,
        &CallPage {
            layout: layout.with_flash(flash),
            // Its chapter's server closes it soon after; one elsewhere may not.
            status: match over && row.status.takes_pledges() {
                true => "Over",
                false => row.status.label(),
            },
            strike,
            chapter_page,
            chapter_address,
            compose_many: pledge_as.len() > 1,
            done_with: !takes_pledges,
            coming,
            suggested_tag,
            reach,
            replies,
            call: view,
        },
    )
}

/// What the rest of the fediverse did with one of our objects, in words:
/// counts only, never who.
async fn reach_of(state: &AppState, ap_id: &url::Url) -> Result<Vec<String>, AppError> {
    let counts = unionhall_store::interactions::counts_of(&state.store, ap_id).await?;
    let times = |n: i64| {
        if n == 1 {
            "once".to_owned()
        } else {
            format!("{n} times")
        }
    };
    let people = |n: i64| {
        if n == 1 {
            "1 person".to_owned()
        } else {
            format!("{n} people")
        }
    };
    let mut lines = Vec::new();
    if counts.joins > 0 {
        let who = people(counts.joins);
        lines.push(format!(
            "{who} from elsewhere on the fediverse (Mobilizon, Friendica and others) said they will be there; counted in the progress above."
        ));
    }
    if counts.maybes > 0 {
        let who = people(counts.maybes);
        lines.push(format!(
            "{who} from elsewhere on the fediverse said they might come; not counted above."
        ));
    }
    if counts.shares > 0 || counts.likes > 0 || counts.dislikes > 0 {
        let mut line = format!(
            "Shared {}, liked {}",
            times(counts.shares),
            times(counts.likes)
        );
        if counts.dislikes > 0 {
            line.push_str(&format!(", voted down {}", times(counts.dislikes)));
        }
        lines.push(line + " on the fediverse.");
    }
    Ok(lines)
}

/// Most replies shown on a page.
const MOST_REPLIES: i64 = 100;

/// The replies to one of our objects, as its chapter's members see them: who
/// (their fediverse address), when (in the reader's zone), the text.
pub(super) async fn replies_to(
    state: &AppState,
    ap_id: &url::Url,
    zone: unionhall_domain::Zone,
) -> Result<(i64, Vec<(String, String, String)>), AppError> {
    let (total, replies) = unionhall_store::replies::to(&state.store, ap_id, MOST_REPLIES).await?;
    let mut shown = Vec::new();
    for reply in replies {
        let who = match unionhall_store::actors::by_ap_id(&state.store, &reply.author).await? {
            Some(actor) if !actor.preferred_username.is_empty() => format!(
                "@{}@{}",
                actor.preferred_username,
                reply.author.host_str().unwrap_or_default()
            ),
            _ => reply.author.to_string(),
        };
        shown.push((
            who,
            zone.show(reply.published_at),
            crate::html::text_of(&reply.content),
        ));
    }
    Ok((total, shown))
}

/// For each chapter whose roster the reader may see: who of its members
/// pledged (nobody else's chapters, and nothing that left the instance).
async fn who_is_coming(
    state: &AppState,
    principal: &Principal,
    call_id: i64,
) -> Result<Vec<(String, Vec<Pledger>, bool)>, AppError> {
    let mut out = Vec::new();
    let may_tag = chapters_allowing(state, principal, Permission::EditRoster).await;
    for handle in chapters_allowing(state, principal, Permission::ViewRoster).await {
        let chapter = state.members.chapter(&handle).await?;
        let people = state
            .members
            .who_is_coming(principal, &chapter, call_id)
            .await?;
        let tags = may_tag.contains(&handle);
        out.push((handle, people, tags));
    }
    Ok(out)
}

/// A chapter's page when it is ours, and its fediverse address. Pages link
/// only within this server: a remote chapter is named, not linked.
pub(super) async fn chapter_link(
    state: &AppState,
    author: &url::Url,
) -> Result<(Option<String>, String), AppError> {
    let actor = unionhall_store::actors::by_ap_id(&state.store, author).await?;
    let host = author.host_str().unwrap_or_default();
    Ok(match actor {
        Some(a) if a.is_local => {
            let handle = a.handle.unwrap_or_default();
            (
                Some(format!("/actors/{handle}")),
                format!("@{handle}@{host}"),
            )
        }
        Some(a) => (None, format!("@{}@{host}", a.preferred_username)),
        None => (None, host.to_owned()),
    })
}

/// A strike: public, as strikes are.
pub(crate) async fn strike(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let row = strikes::by_id(&state.store, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no strike {id}")))?;
    if row.deleted_at.is_some() {
        return Err(AppError::Gone(format!("strike {id} was deleted")));
    }
    let zone = super::zones::of_account(&state, caller.as_ref()).await?;
    let record = strikes_fed::record_of(&row)?;
    let there = record.time_zone.or(zone).unwrap_or_default();
    let mut names = Names::default();
    let view = strike_view(&state.store, &mut names, &row, zone).await?;
    let mut conn = state.store.acquire().await?;
    let shift_rows = calls::shifts_of(&mut conn, &row.ap_id).await?;
    drop(conn);
    let mut shifts = Vec::new();
    for shift in &shift_rows {
        if shift.deleted_at.is_some() {
            continue;
        }
        let call = calls_fed::record_of(shift)?;
        let when = call
            .starts_at
            .map(|s| super::zones::event_time(s, call.ends_at, call.time_zone, zone))
            .unwrap_or_default();
        let place = call.place.map(|p| p.address).unwrap_or_default();
        shifts.push((format!("/call/{}", shift.id), format!("{when}, {place}")));
    }
    let history = super::views::history_lines(&row, there)?;
    let reach = match &caller {
        Some(principal) if row.is_local && may_post_for(&state, principal, &row.author).await => {
            reach_of(&state, &row.ap_id).await?
        }
        _ => Vec::new(),
    };
    let replies = match &caller {
        Some(principal) if row.is_local && is_member_of(&state, principal, &row.author).await => {
            replies_to(&state, &row.ap_id, zone.unwrap_or_default()).await?
        }
        _ => (0, Vec::new()),
    };
    let layout = Layout::of(&state, caller.as_ref());
    render(
        StatusCode::OK,
        &StrikePage {
            layout,
            strike: view,
            workplace: record.workplace,
            starts: record.starts_at.map(|t| there.form_date(t)),
            demands: record.demands,
            details: record.details,
            outcome: row.outcome.clone(),
            fund_url: record.fund_url,
            shifts,
            history,
            reach,
            replies,
        },
    )
}
