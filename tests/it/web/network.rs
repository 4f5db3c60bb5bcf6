//! The solidarity network from the pages, between two real instances: a chapter
//! elsewhere applies to a union body, its officer admits it and proposes a
//! coordinated action, chapters on both instances answer it and the tally adds
//! up; a campaign is started, updated and followed from another instance.

use super::{assert_self_contained, member_page, page, page_of, submit};
use crate::federation::{acct, create_chapter};
use crate::helpers::{fresh_database, spawn_instance_on, wait_for};
use crate::members::join;
use crate::solidarity::create_body;
use unionhall_domain::Role;

#[tokio::test]
async fn a_body_admits_chapters_and_they_answer_its_action_from_the_pages() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&b, "millers").await;
    create_body(&a, "foodunion").await;
    let ada = join(&a, "bakers", Role::Admin, "ada").await;
    let ophelia = join(&a, "foodunion", Role::Officer, "ophelia").await;
    let bodil = join(&b, "millers", Role::Admin, "bodil").await;

    // Both chapters apply from their own page, one across instances.
    let body_acct = acct(&a, "foodunion");
    let (status, page) = member_page(&bodil, "/chapters/millers/unions").await;
    assert_eq!(status, 200);
    assert_self_contained(&page);
    let (status, text, _) = submit(
        &bodil,
        "/chapters/millers/unions",
        &[("body", "@nobody@127.0.0.9")],
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("value=\"@nobody@127.0.0.9\"") && text.contains("role=\"alert\""));
    let (status, _, _) = submit(&bodil, "/chapters/millers/unions", &[("body", &body_acct)]).await;
    assert_eq!(status, 303);
    let (status, _, _) = submit(&ada, "/chapters/bakers/unions", &[("body", "foodunion")]).await;
    assert_eq!(status, 303);

    // The officer sees both applications and admits them.
    let millers = b.data.urls.actor("millers").to_string();
    let bakers = a.data.urls.actor("bakers").to_string();
    wait_for("the application from B", 10, || async {
        member_page(&ophelia, "/unions/foodunion")
            .await
            .1
            .contains(&format!("value=\"{millers}\""))
    })
    .await;
    let (_, board) = member_page(&ophelia, "/").await;
    assert!(board.contains("href=\"/unions/foodunion\""));
    for chapter in [&millers, &bakers] {
        let (status, _, location) = submit(
            &ophelia,
            "/unions/foodunion/decide",
            &[("chapter", chapter), ("decision", "admit")],
        )
        .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/unions/foodunion?done=admitted"));
    }
    wait_for("B to learn it was admitted", 10, || async {
        member_page(&bodil, "/chapters/millers/unions")
            .await
            .1
            .contains("<span class=\"badge\">member</span>")
    })
    .await;
    // A member of a chapter is not an officer of the body.
    let (status, _) = member_page(&ada, "/unions/foodunion").await;
    assert_eq!(status, 403);

    // The officer proposes an action; a missing deadline is said next to it.
    let (status, form) = member_page(&ophelia, "/unions/foodunion/actions/new").await;
    assert_eq!(status, 200);
    assert_self_contained(&form);
    let (status, text, _) = submit(
        &ophelia,
        "/unions/foodunion/actions/new",
        &[("title", "Walk out at noon")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("id=\"deadline-error\"") && text.contains("value=\"Walk out at noon\""));
    // Three days from now, as a datetime-local field sends it.
    let in_three_days = unionhall_store::now_millis() / 1000 + 3 * 24 * 3600;
    let deadline = datetime_local(in_three_days);
    let (status, _, location) = submit(
        &ophelia,
        "/unions/foodunion/actions/new",
        &[
            ("title", "Walk out at noon"),
            ("commitment", "an hour, every shift"),
            ("deadline", &deadline),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    let id = location
        .trim_start_matches("/actions/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    // The chapter on B finds it on its board, opens it and commits.
    let mut board = String::new();
    for _ in 0..100 {
        board = member_page(&bodil, "/").await.1;
        if board.contains("Walk out at noon") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let start = board
        .find("href=\"/actions/")
        .expect("a link to the action")
        + 6;
    let theirs = board[start..].split('"').next().unwrap().to_owned();
    let (status, action) = member_page(&bodil, &theirs).await;
    assert_eq!(status, 200);
    assert_self_contained(&action);
    assert!(action.contains("Answer for @millers") && action.contains("an hour, every shift"));
    let answer = format!("{theirs}/answer");
    let (status, text, _) = submit(
        &bodil,
        &answer,
        &[
            ("chapter", "millers"),
            ("answer", "commit"),
            ("people", "lots"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("How many people"));
    let (status, _, _) = submit(
        &bodil,
        &answer,
        &[
            ("chapter", "millers"),
            ("answer", "commit"),
            ("people", "25"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    // The chapter on A declines.
    let (status, _, _) = submit(
        &ada,
        &format!("/actions/{id}/answer"),
        &[("chapter", "bakers"), ("answer", "decline")],
    )
    .await;
    assert_eq!(status, 303);

    // The body's page adds it up.
    wait_for("the tally on A", 10, || async {
        member_page(&ophelia, &format!("/actions/{id}"))
            .await
            .1
            .contains("1 chapter in, 25 people; 1 declined")
    })
    .await;
    let (_, body_page) = member_page(&ophelia, "/unions/foodunion").await;
    assert_self_contained(&body_page);
    assert!(body_page.contains("1 chapter in, 25 people; 1 declined"));
    // Only the body decides; it calls the action off.
    let (status, _, _) = submit(
        &bodil,
        &format!("{theirs}/status"),
        &[("status", "called_off")],
    )
    .await;
    assert_eq!(status, 404, "B has no action of its own to decide");
    // Asked first: calling it off tells every chapter and cannot be undone.
    let (status, question, _) = submit(
        &ophelia,
        &format!("/actions/{id}/status"),
        &[("status", "called_off")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(question.contains("Yes, call it off"), "{question}");
    let (status, _, _) = submit(
        &ophelia,
        &format!("/actions/{id}/status"),
        &[("status", "called_off"), ("confirmed", "yes")],
    )
    .await;
    assert_eq!(status, 303);
    wait_for("B to learn it is called off", 10, || async {
        member_page(&bodil, &theirs).await.1.contains("Called off")
    })
    .await;
}

#[tokio::test]
async fn a_campaign_is_started_updated_and_followed_from_another_instance() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&b, "millers").await;
    let ada = join(&a, "bakers", Role::Organizer, "ada").await;
    let sam = join(&b, "millers", Role::Member, "sam").await;

    let (status, form) = member_page(&ada, "/chapters/bakers/campaigns/new").await;
    assert_eq!(status, 200);
    assert_self_contained(&form);
    let (status, text, _) = submit(&ada, "/chapters/bakers/campaigns/new", &[("goal", "x")]).await;
    assert_eq!(status, 400);
    assert!(text.contains("id=\"title-error\""));
    let (status, _, location) = submit(
        &ada,
        "/chapters/bakers/campaigns/new",
        &[("title", "A first contract"), ("goal", "signed by June")],
    )
    .await;
    assert_eq!(status, 303);
    let campaign_page = location.unwrap();
    let (_, campaign) = member_page(&ada, &campaign_page).await;
    assert_self_contained(&campaign);
    let start = campaign.find("Share it: <code>").unwrap() + "Share it: <code>".len();
    let address = campaign[start..].split('<').next().unwrap().to_owned();
    let updates = format!("{}/updates", campaign_page.split('?').next().unwrap())
        .replace("/campaign/", "/campaigns/");
    let (status, _, _) = submit(&ada, &updates, &[("text", "Majority signed the petition")]).await;
    assert_eq!(status, 303);
    // The public page shows it, with the address to follow it by.
    let (_, public) = page_of(&a, "/actors/bakers").await;
    assert!(public.contains("A first contract") && public.contains(&address));
    // A browser opening that address is sent to the page, which a visitor
    // may read; a server gets JSON.
    let path = address.replace(a.url.as_str(), "/");
    let (status, headers, _) = page(&a, &path).await;
    assert_eq!(status, 303);
    let to = headers["location"].to_str().unwrap().to_owned();
    assert_eq!(to, campaign_page.split('?').next().unwrap());
    let (status, visitor) = page_of(&a, &to).await;
    assert_eq!(status, 200);
    assert!(
        visitor.contains("Majority signed the petition") && !visitor.contains("Post an update")
    );
    let json = crate::members::browser()
        .get(&address)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status().as_u16(), 200);

    // A member on B follows it by its address; updates come to the board.
    let (status, text, _) = submit(&sam, "/campaigns/follow", &[("url", "not an address")]).await;
    assert_eq!(status, 400);
    assert!(text.contains("https://") && text.contains("value=\"not an address\""));
    let (status, _, _) = submit(&sam, "/campaigns/follow", &[("url", &address)]).await;
    assert_eq!(status, 303);
    // B's instance follows the chapter, once for all its members.
    let bakers = a.data.urls.actor("bakers");
    wait_for("B to follow the bakers", 10, || async {
        unionhall_store::follows::is_following(&b.store, &bakers)
            .await
            .unwrap()
    })
    .await;
    let (status, _, _) = submit(&ada, &updates, &[("text", "Vote on Thursday")]).await;
    assert_eq!(status, 303);
    wait_for("the update on B's board", 10, || async {
        member_page(&sam, "/").await.1.contains("Vote on Thursday")
    })
    .await;
    // Sam cannot post for a campaign of another chapter.
    let (_, list) = member_page(&sam, "/campaigns").await;
    assert_self_contained(&list);
    assert!(list.contains("A first contract") && list.contains("following"));
    assert!(!list.contains("Start a campaign"));
}

/// `YYYY-MM-DDTHH:MM` (UTC) of Unix seconds, computed here rather than with the
/// server's own date code.
fn datetime_local(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}",
        seconds / 3600,
        seconds % 3600 / 60
    )
}
