//! The web UI over real HTTP, as a browser sends it: pages for visitors and
//! members, the one-tap pledge to a call from another instance, the call form
//! with its errors next to the field, and errors as pages; `network.rs` and
//! `organizing.rs` the rest of the pages, `demo.rs` the demo command, and
//! `browser.rs` / `in_the_browser.rs` headless Chromium.

mod browser;
mod chart;
mod demo;
mod in_the_browser;
mod mail_in_the_browser;
mod network;
mod organizing;
mod picket_in_the_browser;
mod roster;
mod times;

use crate::federation::{create_chapter, follow_and_wait};
use crate::helpers::{fresh_database, spawn_instance_on, wait_for, TestInstance};
use crate::members::{browser, csrf_field, join, join_instance_admin, Account};
use reqwest::Method;
use unionhall_domain::{CallForSupport, CallKind, CallStatus, Goal, Role};
use unionhall_federation::activities::call::publish_call;
use unionhall_federation::activities::Audience;
use unionhall_store::calls;

const HTML: &str = "text/html,application/xhtml+xml";

async fn page(instance: &TestInstance, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = browser()
        .get(instance.at(path))
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

async fn member_page(account: &Account, path: &str) -> (u16, String) {
    let response = account
        .request(Method::GET, path)
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Pages load nothing from elsewhere, stay small enough for a poor signal,
/// and label every field.
fn assert_self_contained(html: &str) {
    assert!(html.len() < 100_000, "{} bytes", html.len());
    assert_labelled(html);
    // The title is words only: markup put in the title block shows nowhere
    // (the roster's page links and the erase form once were).
    let title = html
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .expect("a title");
    assert!(!title.contains('<'), "markup in <title>: {title}");
    // A keyboard reaches the content first, and can scroll every table
    // (they scroll sideways on a phone).
    assert!(
        html.contains("<a class=\"skip\" href=\"#main\">") && html.contains("<main id=\"main\">")
    );
    for table in html.split("<table").skip(1) {
        let tag = table.split('>').next().unwrap();
        assert!(
            tag.contains("tabindex=\"0\""),
            "<table{tag}> cannot be focused"
        );
    }
    // Nothing is loaded from elsewhere and no form posts elsewhere; the one
    // kind of link out is a plain one that tells the other site nothing
    // (a chapter's own fund page).
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap();
        for attribute in ["href=\"", "src=\"", "action=\""] {
            for value in tag.split(attribute).skip(1) {
                let target = value.split('"').next().unwrap();
                let local = target.starts_with('/') || target.starts_with('#');
                let plain_link_out = tag.starts_with("a ")
                    && attribute == "href=\""
                    && target.starts_with("https://")
                    && tag.contains("rel=\"noopener noreferrer\"");
                assert!(
                    local || plain_link_out,
                    "{attribute}{target} leaves the instance"
                );
            }
        }
    }
}

/// Every input, select and text area a person fills in has a `<label for>`
/// (screen readers say it; a tap on it focuses the field), or, for the
/// roster's per-row checkboxes, an `aria-label`.
fn assert_labelled(html: &str) {
    for tag in ["<input", "<select", "<textarea"] {
        for rest in html.split(tag).skip(1) {
            let element = rest.split('>').next().unwrap();
            if element.contains("type=\"hidden\"")
                || (element.contains("type=\"checkbox\"") && element.contains("aria-label=\""))
            {
                continue;
            }
            let id = element
                .split("id=\"")
                .nth(1)
                .and_then(|v| v.split('"').next())
                .unwrap_or_else(|| panic!("{tag}{element}> has no id"));
            assert!(
                html.contains(&format!("<label for=\"{id}\"")),
                "{tag} #{id} has no label"
            );
        }
    }
}

async fn post_call(instance: &TestInstance, handle: &str, title: &str, people: u32) -> i64 {
    let call = CallForSupport {
        kind: CallKind::Picket,
        title: title.into(),
        details: "Bring a thermos".into(),
        place: None,
        starts_at: None,
        ends_at: None,
        deadline: None,
        goal: Goal {
            people: Some(people),
            ..Goal::default()
        },
        time_zone: None,
    };
    publish_call(
        &instance.data,
        &unionhall_domain::Authority::Operator,
        handle,
        call,
        Audience::Public,
    )
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn a_visitor_sees_the_chapters_and_a_chapter_page() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    post_call(&a, "bakers", "Picket at gate 3", 20).await;

    let (status, headers, home) = page(&a, "/").await;
    assert_eq!(status, 200);
    assert!(home.contains("href=\"/actors/bakers\""), "{home}");
    assert!(home.contains("Chapter bakers"));
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    assert_self_contained(&home);

    let (status, _, chapter) = page(&a, "/actors/bakers").await;
    assert_eq!(status, 200);
    assert!(chapter.contains("Picket at gate 3"));
    assert!(chapter.contains("0 of 20 people"), "{chapter}");
    let domain = a.data.urls.domain();
    assert!(
        chapter.contains(&format!("@bakers@{domain}")),
        "how to follow"
    );
    assert_self_contained(&chapter);

    let (status, headers, css) = page(&a, "/static/unionhall.css").await;
    assert_eq!(status, 200);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert!(css.contains("--red"));
}

#[tokio::test]
async fn a_member_pledges_in_one_tap_to_a_call_from_another_instance() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&b, "millers").await;
    follow_and_wait(&b, &a, "bakers").await;
    let id_on_a = post_call(&a, "bakers", "Picket at gate 3", 20).await;
    let call_ap_id = calls::by_id(&a.store, id_on_a)
        .await
        .unwrap()
        .unwrap()
        .ap_id;
    wait_for("the call to reach B", 10, || async {
        calls::all(&b.store)
            .await
            .unwrap()
            .iter()
            .any(|c| c.ap_id == call_ap_id)
    })
    .await;
    let id_on_b = calls::all(&b.store)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.ap_id == call_ap_id)
        .unwrap()
        .id;

    let rosa = join(&b, "millers", Role::Member, "rosa").await;
    let (status, board) = member_page(&rosa, "/").await;
    assert_eq!(status, 200);
    assert!(board.contains("Picket at gate 3"), "{board}");
    let action = format!("action=\"/calls/{id_on_b}/pledge\"");
    assert!(board.contains(&action), "{board}");
    assert!(board.contains("ll be there"), "the one-tap button");
    assert_self_contained(&board);

    // The button's form, as the browser sends it.
    let csrf = csrf_field(&board);
    let form = [
        ("csrf", csrf.as_str()),
        ("chapter", "millers"),
        ("kind", "attend"),
    ];
    let response = rosa
        .request(Method::POST, &format!("/calls/{id_on_b}/pledge"))
        .header("accept", HTML)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/?done=pledged");
    let (_, thanked) = member_page(&rosa, "/?done=pledged").await;
    assert!(thanked.contains("your pledge is counted"));
    // The chapter's total reaches the calling chapter, no name attached.
    wait_for("A to count millers' pledge", 10, || async {
        calls::by_id(&a.store, id_on_a)
            .await
            .unwrap()
            .unwrap()
            .pledged
            .people
            == 1
    })
    .await;
    let (_, _, on_a) = page(&a, "/actors/bakers").await;
    assert!(on_a.contains("1 of 20 people"), "{on_a}");

    // The card says what Rosa pledged, and she can take it back: the total
    // on A goes down again.
    assert!(
        thanked.contains("You pledged: I&#39;ll be there."),
        "{thanked}"
    );
    let taken_back = rosa
        .request(Method::POST, &format!("/calls/{id_on_b}/pledge"))
        .header("accept", HTML)
        .form(&[
            ("csrf", csrf.as_str()),
            ("chapter", "millers"),
            ("kind", "withdraw"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(taken_back.status().as_u16(), 303);
    assert_eq!(taken_back.headers()["location"], "/?done=withdrawn");
    let (_, board) = member_page(&rosa, "/?done=withdrawn").await;
    assert!(
        board.contains("Taken back") && !board.contains("You pledged"),
        "{board}"
    );
    wait_for("A to count millers' pledge taken back", 10, || async {
        calls::by_id(&a.store, id_on_a)
            .await
            .unwrap()
            .unwrap()
            .pledged
            .people
            == 0
    })
    .await;

    // A form from elsewhere (no CSRF field) is refused, as a page.
    let forged = rosa
        .request(Method::POST, &format!("/calls/{id_on_b}/pledge"))
        .header("accept", HTML)
        .form(&[
            ("csrf", "forged"),
            ("chapter", "millers"),
            ("kind", "attend"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    let text = forged.text().await.unwrap();
    assert!(text.contains("You cannot do this here"), "{text}");
}

#[tokio::test]
async fn an_organizer_posts_a_call_and_errors_sit_next_to_their_field() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    let sam = join(&a, "bakers", Role::Member, "sam").await;

    let (status, form) = member_page(&olga, "/chapters/bakers/calls/new").await;
    assert_eq!(status, 200);
    assert!(form.contains("<label for=\"title\">"), "labelled fields");
    let csrf = csrf_field(&form);
    let submit = |fields: Vec<(&'static str, String)>| {
        olga.request(Method::POST, "/chapters/bakers/calls/new")
            .header("accept", HTML)
            .form(&fields)
            .send()
    };
    let refused = submit(vec![
        ("csrf", csrf.clone()),
        ("kind", "picket".into()),
        ("title", "   ".into()),
        ("details", "Bring <b>banners</b>".into()),
        ("people", "12".into()),
    ])
    .await
    .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    let text = refused.text().await.unwrap();
    assert!(text.contains("id=\"title-error\""), "{text}");
    assert!(text.contains("aria-invalid=\"true\" aria-describedby=\"title-error\""));
    assert!(
        text.contains("banners") && !text.contains("<b>banners"),
        "kept, escaped"
    );
    let bad_date = submit(vec![
        ("csrf", csrf.clone()),
        ("kind", "picket".into()),
        ("title", "Picket".into()),
        ("deadline", "next week".into()),
    ])
    .await
    .unwrap();
    assert_eq!(bad_date.status().as_u16(), 400);
    let text = bad_date.text().await.unwrap();
    assert!(text.contains("id=\"deadline-error\""));
    assert!(
        text.contains("Until: a date such as 2026-12-24"),
        "in the form's words"
    );
    assert!(
        calls::all(&a.store).await.unwrap().is_empty(),
        "nothing posted"
    );

    let posted = submit(vec![
        ("csrf", csrf),
        ("kind", "picket".into()),
        ("title", "Picket at the depot".into()),
        ("people", "12".into()),
        ("deadline", "2037-12-24".into()),
    ])
    .await
    .unwrap();
    assert_eq!(posted.status().as_u16(), 303);
    let all = calls::all(&a.store).await.unwrap();
    assert_eq!(all.len(), 1);
    let (_, board) = member_page(&olga, "/?done=posted").await;
    assert!(board.contains("Picket at the depot"));
    assert!(board.contains("0 of 12 people") || board.contains("No pledges yet."));
    // Closed from its card, after a question: withdrawn, it is off the board.
    let call_id = all[0].id;
    assert!(board.contains(&format!("action=\"/calls/{call_id}/status\"")));
    let csrf = csrf_field(&board);
    let close = |confirmed: &'static str| {
        olga.request(Method::POST, &format!("/calls/{call_id}/status"))
            .header("accept", HTML)
            .form(&[
                ("csrf", csrf.as_str()),
                ("status", "withdrawn"),
                ("confirmed", confirmed),
            ])
            .send()
    };
    let asked = close("").await.unwrap();
    assert_eq!(asked.status().as_u16(), 200);
    assert!(asked
        .text()
        .await
        .unwrap()
        .contains("Withdraw \u{201c}Picket at the depot\u{201d}?"));
    assert_eq!(
        calls::all(&a.store).await.unwrap()[0].status,
        CallStatus::Open
    );
    let closed = close("yes").await.unwrap();
    assert_eq!(closed.status().as_u16(), 303);
    assert_eq!(
        calls::all(&a.store).await.unwrap()[0].status,
        CallStatus::Withdrawn
    );
    // A member may not close it.
    let sam_board = member_page(&sam, "/").await.1;
    assert!(!sam_board.contains("/status\""));

    // A donation call: amount, currency and the chapter's own fund page.
    let csrf = csrf_field(&member_page(&olga, "/chapters/bakers/calls/new").await.1);
    let no_currency = submit(vec![
        ("csrf", csrf.clone()),
        ("kind", "donation".into()),
        ("title", "Strike fund".into()),
        ("amount", "5000".into()),
    ])
    .await
    .unwrap();
    assert_eq!(no_currency.status().as_u16(), 400);
    let text = no_currency.text().await.unwrap();
    assert!(text.contains("id=\"currency-error\""), "{text}");
    let donation = submit(vec![
        ("csrf", csrf),
        ("kind", "donation".into()),
        ("title", "Strike fund".into()),
        ("amount", "5000".into()),
        ("currency", "usd".into()),
        ("fund_url", "https://fund.example/bakers-strike".into()),
    ])
    .await
    .unwrap();
    assert_eq!(donation.status().as_u16(), 303);
    let (_, board) = member_page(&olga, "/").await;
    assert_self_contained(&board);
    assert!(
        board.contains("Pledged so far: 0.00 USD of 5000.00 USD.")
            || board.contains("No pledges yet."),
        "{board}"
    );
    assert!(board.contains("Amount (USD)"), "{board}");
    assert!(
        board.contains(
            "<a href=\"https://fund.example/bakers-strike\" rel=\"noopener noreferrer\">"
        ),
        "{board}"
    );

    // A member may pledge but not post: the form is refused, as a page.
    let (status, text) = member_page(&sam, "/chapters/bakers/calls/new").await;
    assert_eq!(status, 403);
    assert!(text.contains("You cannot do this here"));
}

#[tokio::test]
async fn errors_are_pages_for_browsers_and_json_for_programs() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let (status, _, text) = page(&a, "/nowhere").await;
    assert_eq!(status, 404);
    assert!(
        text.contains("Page not found") && text.contains("href=\"/\""),
        "{text}"
    );
    assert_self_contained(&text);
    let json = a.client.get(a.at("/nowhere")).send().await.unwrap();
    assert_eq!(json.status(), 404);
    let body: serde_json::Value = json.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    // The API stays JSON even for a browser.
    let (status, _, api) = page(&a, "/api/v1/me").await;
    assert_eq!(status, 401);
    assert!(api.starts_with('{'), "{api}");
}

/// The README's flow, in the browser after the first invitation: an admin on
/// each instance, one follows the other's chapter from the admin page, creates
/// a second chapter there, and a call posted on one is pledged to on the other.
#[tokio::test]
async fn two_instances_follow_post_and_pledge_all_from_the_pages() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&b, "millers").await;
    let ada = join(&a, "bakers", Role::Admin, "ada").await;
    let bo = join_instance_admin(&b, "millers", Role::Admin, "bodil").await;
    let sam = join(&b, "millers", Role::Member, "sam").await;

    // Bo runs B, and follows bakers from B's admin page.
    let (status, admin) = member_page(&bo, "/admin").await;
    assert_eq!(status, 200);
    assert!(admin.contains("href=\"/admin\""), "the menu has Admin");
    assert_self_contained(&admin);
    let csrf = csrf_field(&admin);
    let acct = crate::federation::acct(&a, "bakers");
    let followed = bo
        .request(Method::POST, "/admin/follow")
        .header("accept", HTML)
        .form(&[("csrf", csrf.as_str()), ("target", acct.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(followed.status().as_u16(), 303);
    wait_for("A to accept B's follow", 10, || async {
        member_page(&bo, "/admin")
            .await
            .1
            .contains("<span class=\"badge\">following</span>")
    })
    .await;
    // A typo is shown on the page, with what was typed.
    let typo = bo
        .request(Method::POST, "/admin/follow")
        .header("accept", HTML)
        .form(&[("csrf", csrf.as_str()), ("target", "not a handle")])
        .send()
        .await
        .unwrap();
    assert_eq!(typo.status().as_u16(), 400);
    let text = typo.text().await.unwrap();
    assert!(text.contains("Could not follow") && text.contains("value=\"not a handle\""));
    // A second chapter, and the invitation for its first admin.
    let (text, _) = submit_for_invitation(
        &bo,
        "/admin/chapters",
        &[("handle", "ovens"), ("name", "Oven workers")],
    )
    .await;
    assert!(text.contains("/invite/uhi_"), "{text}");
    assert!(text.contains("href=\"/actors/ovens\""));

    // Ada posts a call on A; Sam pledges on B; A counts it.
    let (_, form) = member_page(&ada, "/chapters/bakers/calls/new").await;
    let posted = ada
        .request(Method::POST, "/chapters/bakers/calls/new")
        .header("accept", HTML)
        .form(&[
            ("csrf", csrf_field(&form).as_str()),
            ("kind", "picket"),
            ("title", "Picket at the depot"),
            ("people", "10"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 303);
    let mut board = String::new();
    for _ in 0..100 {
        board = member_page(&sam, "/").await.1;
        if board.contains("Picket at the depot") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(board.contains("Picket at the depot"), "{board}");
    let start = board.find("action=\"/calls/").unwrap() + "action=\"".len();
    let action = board[start..].split('"').next().unwrap().to_owned();
    let pledged = sam
        .request(Method::POST, &action)
        .header("accept", HTML)
        .form(&[
            ("csrf", csrf_field(&board).as_str()),
            ("chapter", "millers"),
            ("kind", "attend"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(pledged.status().as_u16(), 303);
    wait_for("A to show the pledge", 10, || async {
        page(&a, "/actors/bakers")
            .await
            .2
            .contains("1 of 10 people")
    })
    .await;

    // A member does not run the instance.
    let (status, text) = member_page(&sam, "/admin").await;
    assert_eq!(status, 403);
    assert!(text.contains("You cannot do this here"));
}

#[tokio::test]
async fn an_organizer_keeps_the_roster_in_the_browser() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    let sam = join(&a, "bakers", Role::Member, "sam").await;

    let (_, board) = member_page(&olga, "/").await;
    assert!(board.contains("href=\"/chapters/bakers/roster\""));
    let (status, form) = member_page(&olga, "/chapters/bakers/members/new").await;
    assert_eq!(status, 200);
    let csrf = csrf_field(&form);
    let add = |fields: Vec<(&'static str, &'static str)>| {
        let mut fields: Vec<(&str, String)> =
            fields.into_iter().map(|(k, v)| (k, v.to_owned())).collect();
        fields.push(("csrf", csrf.clone()));
        olga.request(Method::POST, "/chapters/bakers/members/new")
            .header("accept", HTML)
            .form(&fields)
            .send()
    };
    let refused = add(vec![("name", "Rosa Diaz"), ("assessment", "7")])
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    let text = refused.text().await.unwrap();
    assert!(text.contains("id=\"assessment-error\"") && text.contains("value=\"Rosa Diaz\""));

    let added = add(vec![
        ("name", "Rosa Diaz"),
        ("department", "Packing"),
        ("shift", "Nights"),
        ("assessment", "2"),
    ])
    .await
    .unwrap();
    assert_eq!(added.status().as_u16(), 303);
    let location = added.headers()["location"].to_str().unwrap().to_owned();
    let response = olga
        .request(Method::GET, &location)
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["cache-control"],
        "no-store",
        "member data stays out of caches"
    );
    let shown = response.text().await.unwrap();
    assert!(shown.contains("Rosa Diaz") && shown.contains("Packing"));

    let logged = olga
        .request(Method::POST, &format!("{location}/one-on-ones"))
        .header("accept", HTML)
        .form(&[
            ("csrf", csrf.as_str()),
            ("date", "2026-11-20"),
            ("by", "Olga"),
            ("issues", "Forced overtime on nights"),
            ("next_step", "Bring her to Thursday's meeting"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(logged.status().as_u16(), 303);
    let (_, shown) = member_page(&olga, &location).await;
    assert!(shown.contains("Forced overtime on nights"));
    assert!(shown.contains("Bring her to Thursday"));

    let (_, packing) = member_page(&olga, "/chapters/bakers/roster?department=packing").await;
    assert!(packing.contains("Rosa Diaz") && packing.contains("1–1 of 1 shown."));
    let (_, other) = member_page(&olga, "/chapters/bakers/roster?department=shipping").await;
    assert!(!other.contains("Rosa Diaz") && other.contains("0 shown."));
    assert_self_contained(&packing);

    // A member sees none of it.
    let (status, _) = member_page(&sam, "/chapters/bakers/roster").await;
    assert_eq!(status, 403);
    let (status, _) = member_page(&sam, &location).await;
    assert_eq!(status, 403);
    // Nor does anyone logged out: they are asked to log in.
    let (status, _, text) = page(&a, &location).await;
    assert_eq!(status, 401);
    assert!(text.contains("Please log in first"));
}

/// In Chromium: accept an invitation, post a call for support from the form,
/// and pledge to it with one tap from another instance; screenshots of the
/// board, the chapter page and the form at phone and desktop width.
#[tokio::test]
async fn in_a_real_browser_a_call_is_posted_and_pledged_to_across_instances() {
    if !browser::Browser::available() {
        return;
    }
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&b, "millers").await;
    follow_and_wait(&b, &a, "bakers").await;
    let browser = browser::Browser::start().await;

    // Olga joins bakers on A through her invitation, and lands on the board.
    let link = crate::members::invite_link(&a, "bakers", Role::Organizer).await;
    browser.accept_invitation(&link, "olga").await;
    assert!(browser
        .source()
        .await
        .contains("New call for support for @bakers"));

    // She posts a call; a mistake first, shown next to its field.
    browser.goto(&a.at("/chapters/bakers/calls/new")).await;
    browser.screenshot("call-form", 390, 844).await;
    browser.type_into("#people", "lots").await;
    browser.submit("form[action$='/calls/new'] button").await;
    let refused = browser.source().await;
    assert!(refused.contains("id=\"goal-error\""), "{refused}");
    browser
        .type_into("#title", "Picket at the depot, Saturday 6am")
        .await;
    browser.clear("#people").await;
    browser.type_into("#people", "12").await;
    browser.submit("form[action$='/calls/new'] button").await;
    let board = browser.source().await;
    assert!(board.contains("Posted: the call is on its way"), "{board}");
    browser.screenshot("board", 390, 844).await;
    browser.screenshot("board", 1280, 800).await;

    // Sam, a member of millers on B, pledges with one tap.
    let link = crate::members::invite_link(&b, "millers", Role::Member).await;
    browser.accept_invitation(&link, "sam_b").await;
    let mut seen = false;
    for _ in 0..100 {
        browser.goto(&b.at("/")).await;
        if browser.source().await.contains("Picket at the depot") {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen, "the call reached B's board");
    browser.submit("form.pledge button").await;
    assert!(browser.source().await.contains("your pledge is counted"));

    // A's public page shows the chapter's total.
    let mut counted = false;
    for _ in 0..100 {
        browser.goto(&a.at("/actors/bakers")).await;
        if browser.source().await.contains("1 of 12 people") {
            counted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(counted, "the pledge came back to A");
    browser.screenshot("chapter", 390, 844).await;
    browser.screenshot("chapter", 1280, 800).await;
    browser.quit().await;
}

#[tokio::test]
async fn an_organizer_announces_a_strike_and_moves_it_through_its_statuses() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    let (status, form) = member_page(&olga, "/chapters/bakers/strikes/new").await;
    assert_eq!(status, 200);
    let csrf = csrf_field(&form);
    let announce = |fields: Vec<(&'static str, &'static str)>| {
        let mut fields: Vec<(&str, String)> =
            fields.into_iter().map(|(k, v)| (k, v.to_owned())).collect();
        fields.push(("csrf", csrf.clone()));
        olga.request(Method::POST, "/chapters/bakers/strikes/new")
            .header("accept", HTML)
            .form(&fields)
            .send()
    };
    let refused = announce(vec![("workplace", "Plant 2")]).await.unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    let text = refused.text().await.unwrap();
    assert!(text.contains("id=\"employer-error\"") && text.contains("value=\"Plant 2\""));

    let announced = announce(vec![
        ("employer", "Acme Bakeries"),
        ("workplace", "Plant 2"),
        ("demands", "A 10% raise\nNo forced overtime"),
        ("picket_address", "Gate 3, 12 Mill Road"),
        ("shift_starts", "2037-12-01T06:00"),
        ("shift_ends", "2037-12-01T10:00"),
        ("shift_needed", "8"),
    ])
    .await
    .unwrap();
    assert_eq!(announced.status().as_u16(), 303);
    let manage = announced.headers()["location"].to_str().unwrap().to_owned();
    let (_, page) = member_page(&olga, &manage).await;
    assert!(page.contains("Strike at Acme Bakeries") && page.contains("Strike announced"));
    let (_, chapter) = page_of(&a, "/actors/bakers").await;
    assert!(chapter.contains("Gate 3, 12 Mill Road") && chapter.contains("8 people needed"));

    let id = manage
        .trim_start_matches("/strikes/")
        .trim_end_matches("/manage")
        .to_owned();
    let send = |status: &'static str, text: &'static str, confirmed: &'static str| {
        olga.request(Method::POST, &format!("/strikes/{id}/status"))
            .header("accept", HTML)
            .form(&[
                ("csrf", csrf.as_str()),
                ("status", status),
                ("text", text),
                ("confirmed", confirmed),
            ])
            .send()
    };
    let set = |status: &'static str, text: &'static str| send(status, text, "");
    let on = set("on_strike", "We walked out at 6am").await.unwrap();
    assert_eq!(on.status().as_u16(), 303, "post, then redirect");
    let to = on.headers()["location"].to_str().unwrap().to_owned();
    let (_, text) = member_page(&olga, &to).await;
    assert!(text.contains("On strike") && text.contains("We walked out at 6am"));
    assert!(text.contains("Done: followers are told."));
    // Settling needs an outcome: refused, said on the page.
    let refused = set("settled", "").await.unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    assert!(refused.text().await.unwrap().contains("outcome"));
    // A move the lifecycle does not allow is refused too.
    let refused = set("announced", "").await.unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    // Settling cannot be undone: a page asks first, and asking changes nothing.
    let asked = set("settled", "Won a 7% raise").await.unwrap();
    assert_eq!(asked.status().as_u16(), 200);
    let question = asked.text().await.unwrap();
    assert_self_contained(&question);
    assert!(
        question.contains("Settle the strike at Acme Bakeries?")
            && question.contains("cannot be reopened")
            && question.contains("Won a 7% raise")
            && question.contains("name=\"confirmed\" value=\"yes\""),
        "{question}"
    );
    let (_, text) = member_page(&olga, &to).await;
    assert!(
        text.contains("On strike"),
        "still on strike until confirmed"
    );
    let settled = send("settled", "Won a 7% raise", "yes").await.unwrap();
    assert_eq!(settled.status().as_u16(), 303);
    let (_, text) = member_page(&olga, &to).await;
    assert!(text.contains("Strike settled") && text.contains("no longer changes"));
}

/// Posts a page's form as `account`, with its session's CSRF token.
async fn post_form(account: &Account, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf", account.csrf.as_str()));
    account
        .request(Method::POST, path)
        .header("accept", HTML)
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Posts a page's form as `account`, with its session's CSRF token: the status,
/// the page and where it sends the browser.
async fn submit(
    account: &Account,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, Option<String>) {
    let response = post_form(account, path, fields).await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (status, response.text().await.unwrap(), location)
}

/// Posts a form that makes an invitation and follows its redirect the way a
/// browser does, with the cookie that carries the link across it: the page
/// that shows the link, and where the redirect went.
async fn submit_for_invitation(
    account: &Account,
    path: &str,
    fields: &[(&str, &str)],
) -> (String, String) {
    let response = post_form(account, path, fields).await;
    assert_eq!(response.status().as_u16(), 303, "post/redirect/get");
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    let carried = crate::members::set_cookie(&response, "unionhall_new_invite")
        .expect("the link rides in a cookie");
    assert!(!to.contains("uhi_"), "the secret stays out of the address");
    let shown = account
        .request(Method::GET, &to)
        .header("accept", HTML)
        .header("cookie", format!("unionhall_new_invite={carried}"))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status().as_u16(), 200);
    let cleared = crate::members::set_cookie(&shown, "unionhall_new_invite");
    assert_eq!(cleared.as_deref(), Some(""), "shown once, then cleared");
    (shown.text().await.unwrap(), to)
}

pub(crate) async fn page_of(instance: &TestInstance, path: &str) -> (u16, String) {
    let (status, _, text) = page(instance, path).await;
    (status, text)
}
