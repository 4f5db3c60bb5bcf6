//! The web UI: server-rendered pages (askama templates in `templates/`), plain
//! HTML forms that work without JavaScript, one stylesheet served from here and
//! nothing loaded from anywhere else.
//!
//! - `layout.rs`: what every page shows (instance, who is logged in, the CSRF
//!   token of their session) and the headers every page gets;
//! - `home.rs`: `/`, the board for members (one-tap pledges) or the instance's
//!   chapters for visitors;
//! - `chapter.rs`: a chapter's public page (what a visitor or a Mastodon user
//!   clicking through sees);
//! - `compose.rs`: posting and correcting a call for support, with errors next
//!   to the field;
//! - `event_pages.rs`: a call's and a strike's own page (local or received),
//!   with who of the chapter is coming for its organizers;
//! - `zones.rs`: which time zone a page shows times in; setting a chapter's
//!   and an account's;
//! - `strikes.rs`: announcing a strike and moving it through its statuses;
//! - `unions.rs`: a union body's page (member chapters, applications, its
//!   actions) and a chapter's bodies (apply, leave);
//! - `actions.rs`: proposing a coordinated action, deciding it, answering it
//!   as a chapter, and its tally;
//! - `campaigns.rs`: starting a campaign, posting its updates, following
//!   campaigns of other chapters;
//! - `roster.rs`: the roster for organizers (list and filters, a member's page
//!   with the one-on-one log, adding members, logging conversations);
//! - `roster_selected.rs`: assigning or tagging the records ticked on it;
//! - `people.rs`: importing a roster from CSV, and invitations;
//! - `group_admin.rs`: a group's accounts and roles, and its audit log;
//! - `chart.rs`: the workplace chart, a committee member's own list,
//!   relationships and assignments on a member's page, reassigning in bulk,
//!   structure tests;
//! - `admin.rs`: following chapters elsewhere, creating chapters, blocking
//!   servers, deliveries given up;
//! - `shown_once.rs`: a new invitation's link carried across the redirect
//!   after the form that made it, in a cookie, shown once;
//! - `errors.rs`: 403, 404 and 500 as pages that say what to do, for browsers.

mod actions;
mod admin;
mod campaigns;
mod chapter;
mod chart;
mod compose;
mod confirm;
pub(crate) mod errors;
mod event_pages;
pub(crate) mod form;
mod group_admin;
mod home;
pub(crate) mod layout;
mod member_form;
mod people;
mod post_page;
mod roster;
mod roster_selected;
mod shown_once;
mod strikes;
mod tag_pledgers;
mod unions;
mod views;
pub(crate) mod zones;

use crate::AppState;
use axum::http::header;
use axum::routing::{get, post};
use axum::Router;

pub(crate) use chapter::chapter_page;

const STYLESHEET: &str = include_str!("../../static/unionhall.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/call/{id}", get(event_pages::call))
        .route("/strike/{id}", get(event_pages::strike))
        .route("/post/{id}", get(post_page::post))
        .route("/calls/{id}/pledge", axum::routing::post(home::pledge))
        .route("/calls/{id}/status", axum::routing::post(home::close_call))
        .route(
            "/calls/{id}/tag-pledgers",
            axum::routing::post(tag_pledgers::tag_pledgers),
        )
        .route(
            "/calls/{id}/edit",
            get(compose::edit_form).post(compose::edit),
        )
        .route(
            "/chapters/{handle}/calls/new",
            get(compose::form).post(compose::submit),
        )
        .route("/chapters/{handle}/roster", get(roster::roster))
        .route(
            "/chapters/{handle}/roster/selected",
            axum::routing::post(roster_selected::act_on_selected),
        )
        .route(
            "/chapters/{handle}/members/new",
            get(member_form::new_member).post(member_form::add_member),
        )
        .route("/chapters/{handle}/members/{id}", get(roster::member))
        .route(
            "/chapters/{handle}/members/{id}/edit",
            get(member_form::edit_form).post(member_form::edit),
        )
        .route(
            "/chapters/{handle}/members/{id}/erase",
            axum::routing::post(member_form::erase),
        )
        .route(
            "/chapters/{handle}/members/{id}/one-on-ones",
            axum::routing::post(roster::log_talk),
        )
        .route("/chapters/{handle}/chart", get(chart::chart))
        .route("/chapters/{handle}/my-list", get(chart::own_list))
        .route(
            "/chapters/{handle}/members/{id}/link",
            get(chart::link_page),
        )
        .route(
            "/chapters/{handle}/members/{id}/relationships",
            axum::routing::post(chart::relate),
        )
        .route(
            "/chapters/{handle}/members/{id}/relationships/{relationship}/remove",
            axum::routing::post(chart::unrelate),
        )
        .route(
            "/chapters/{handle}/members/{id}/assign",
            axum::routing::post(chart::assign_one),
        )
        .route(
            "/chapters/{handle}/assignments",
            get(chart::assignments).post(chart::assign_many),
        )
        .route(
            "/chapters/{handle}/tests",
            get(chart::tests).post(chart::create_test),
        )
        .route("/chapters/{handle}/tests/{id}", get(chart::test))
        .route(
            "/chapters/{handle}/tests/{id}/delete",
            axum::routing::post(chart::delete_test),
        )
        .route(
            "/chapters/{handle}/tests/{id}/participation",
            axum::routing::post(chart::participation),
        )
        .route(
            "/chapters/{handle}/tests/{id}/confirm",
            axum::routing::post(chart::confirm),
        )
        .route(
            "/chapters/{handle}/strikes/new",
            get(strikes::form).post(strikes::announce),
        )
        .route("/strikes/{id}/manage", get(strikes::manage))
        .route("/strikes/{id}/shifts", post(strikes::add_shift))
        .route(
            "/strikes/{id}/status",
            axum::routing::post(strikes::set_status),
        )
        .route("/unions/{handle}", get(unions::body_page))
        .route("/unions/{handle}/decide", post(unions::decide))
        .route(
            "/unions/{handle}/actions/new",
            get(actions::new_form).post(actions::propose),
        )
        .route("/actions/{id}", get(actions::show))
        .route("/actions/{id}/answer", post(actions::answer))
        .route("/actions/{id}/status", post(actions::set_status))
        .route(
            "/chapters/{handle}/unions",
            get(unions::chapter_page).post(unions::apply),
        )
        .route("/chapters/{handle}/unions/leave", post(unions::leave))
        .route("/campaigns", get(campaigns::list))
        .route("/campaigns/follow", post(campaigns::follow_by_url))
        .route("/campaign/{id}", get(campaigns::show))
        .route("/campaigns/{id}/follow", post(campaigns::follow))
        .route("/campaigns/{id}/unfollow", post(campaigns::unfollow))
        .route("/campaigns/{id}/updates", post(campaigns::post_update))
        .route(
            "/chapters/{handle}/campaigns/new",
            get(campaigns::new_form).post(campaigns::start),
        )
        .route(
            "/chapters/{handle}/import",
            get(people::import_form).post(people::import),
        )
        .route(
            "/groups/{handle}/invites",
            get(people::invite_form).post(people::invite),
        )
        .route("/groups/{handle}/people", get(group_admin::people))
        .route("/groups/{handle}/roles", post(group_admin::set_role))
        .route("/groups/{handle}/audit", get(group_admin::audit))
        .route("/account/time-zone", post(zones::set_for_account))
        .route("/groups/{handle}/time-zone", post(zones::set_for_group))
        .route("/admin", get(admin::page))
        .route("/admin/follow", axum::routing::post(admin::follow))
        .route(
            "/admin/chapters",
            axum::routing::post(admin::create_chapter),
        )
        .route("/admin/block", post(admin::block))
        .route("/admin/unblock", post(admin::unblock))
        .route("/admin/blocks/import", post(admin::import_blocks))
        .route("/admin/allow", post(admin::allow))
        .route("/admin/mode", post(admin::set_mode))
        .route("/admin/reports/resolve", post(admin::resolve_report))
        .route(
            "/static/unionhall.css",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    STYLESHEET,
                )
            }),
        )
}

/// What a form shows next to itself when what it asked for failed: what the
/// person can correct (bad input, a conflict, another server failing). Anything
/// else (no right to do it, nothing there, a failure of ours) is the error
/// page it would be elsewhere.
pub(crate) fn on_the_form(err: crate::AppError) -> Result<String, crate::AppError> {
    use crate::AppError as E;
    match err {
        E::BadRequest { .. } | E::Invalid { .. } | E::Conflict(_) | E::BadGateway(_) => {
            Ok(err.to_string())
        }
        other => Err(other),
    }
}
