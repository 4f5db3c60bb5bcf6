//! The workplace chart in the browser: an organizer links coworkers, assigns
//! them, runs a structure test and reads the chart, all through the pages'
//! forms; then the chart at phone width in Chromium.

use super::{assert_self_contained, browser, member_page, HTML};
use crate::federation::create_chapter;
use crate::helpers::{fresh_database, spawn_instance_on};
use crate::members::{csrf_field, join, Account};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use unionhall_domain::Role;

async fn add(organizer: &Account, record: Value) -> i64 {
    let (status, created) = organizer
        .post("/api/v1/chapters/bakers/members", record)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_i64().unwrap()
}

async fn form(account: &Account, path: &str, fields: &[(&str, String)]) -> reqwest::Response {
    account
        .request(Method::POST, path)
        .header("accept", HTML)
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// A small workplace: two departments, a committee member, a natural leader.
async fn workplace(olga: &Account) -> (i64, i64, i64, i64) {
    let rosa = add(
        olga,
        json!({"name": "Rosa Diaz", "department": "Packing", "shift": "Nights",
               "committee": "organizing", "assessment": 1}),
    )
    .await;
    let ada = add(
        olga,
        json!({"name": "Ada Byron", "department": "Packing", "shift": "Nights",
               "assessment": 3, "tags": ["leader"]}),
    )
    .await;
    let bo = add(
        olga,
        json!({"name": "Bo Chen", "department": "Ovens", "shift": "Days", "assessment": 4}),
    )
    .await;
    let cy = add(
        olga,
        json!({"name": "Cy Young", "department": "Ovens", "shift": "Nights"}),
    )
    .await;
    (rosa, ada, bo, cy)
}

#[tokio::test]
async fn an_organizer_links_assigns_runs_a_test_and_reads_the_chart_from_the_pages() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    let (rosa, ada, bo, cy) = workplace(&olga).await;
    let (status, page) = member_page(&olga, &format!("/chapters/bakers/members/{ada}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Link a coworker") && page.contains("No committee member is assigned"));
    let csrf = csrf_field(&page);
    // Linking starts by finding the coworker by name.
    let (status, link) = member_page(
        &olga,
        &format!("/chapters/bakers/members/{ada}/link?find=chen"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        link.contains(&format!("name=\"other\" value=\"{bo}\"")),
        "{link}"
    );
    assert!(!link.contains("Rosa Diaz") && !link.contains("Cy Young"));
    let (_, link) = member_page(
        &olga,
        &format!("/chapters/bakers/members/{ada}/link?find=nobody"),
    )
    .await;
    assert!(link.contains("Nobody on the roster matches"));

    // Ada influences Bo: entered from Ada's page, shown on both.
    let linked = form(
        &olga,
        &format!("/chapters/bakers/members/{ada}/relationships"),
        &[
            ("csrf", csrf.clone()),
            ("direction", "out".into()),
            ("other", bo.to_string()),
            ("kind", "influences".into()),
            ("note", "rides with him".into()),
        ],
    )
    .await;
    assert_eq!(linked.status(), StatusCode::SEE_OTHER);
    // The same again is refused in words, on a page that knows who is in.
    let again = form(
        &olga,
        &format!("/chapters/bakers/members/{ada}/relationships"),
        &[
            ("csrf", csrf.clone()),
            ("direction", "out".into()),
            ("other", bo.to_string()),
            ("kind", "influences".into()),
        ],
    )
    .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let page = again.text().await.unwrap();
    assert!(page.contains("That is recorded already"), "{page}");
    assert!(
        page.contains("Log out") && !page.contains(">Log in<"),
        "{page}"
    );
    // Cy knows Ada: entered from Ada's page the other way.
    form(
        &olga,
        &format!("/chapters/bakers/members/{ada}/relationships"),
        &[
            ("csrf", csrf.clone()),
            ("direction", "in".into()),
            ("other", cy.to_string()),
            ("kind", "knows".into()),
        ],
    )
    .await;
    let (_, page) = member_page(&olga, &format!("/chapters/bakers/members/{ada}")).await;
    assert!(page.contains("Ada Byron influences Bo Chen"), "{page}");
    assert!(page.contains("rides with him"));
    assert!(page.contains("Cy Young knows them"));
    let (_, page) = member_page(&olga, &format!("/chapters/bakers/members/{bo}")).await;
    assert!(page.contains("Ada Byron influences them"), "{page}");

    // Rosa is responsible for Ada (from Ada's page), then for the whole night shift.
    let assigned = form(
        &olga,
        &format!("/chapters/bakers/members/{ada}/assign"),
        &[("csrf", csrf.clone()), ("assignee", rosa.to_string())],
    )
    .await;
    assert_eq!(assigned.status(), StatusCode::SEE_OTHER);
    let (_, page) = member_page(&olga, &format!("/chapters/bakers/members/{ada}")).await;
    assert!(page.contains("Rosa Diaz</a> talks to Ada Byron"), "{page}");
    // The form starts on Rosa: pressing Assign unchanged keeps her.
    assert!(
        page.contains(&format!(
            "<option value=\"{rosa}\" selected>Rosa Diaz</option>"
        )),
        "{page}"
    );
    assert!(!page.contains("<option value=\"\" selected>"));
    let bulk = form(
        &olga,
        "/chapters/bakers/assignments",
        &[
            ("csrf", csrf.clone()),
            ("shift", "nights".into()),
            ("assignee", rosa.to_string()),
        ],
    )
    .await;
    assert_eq!(bulk.status(), StatusCode::SEE_OTHER);
    let location = bulk.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.ends_with("changed=1"),
        "only Cy was new: {location}"
    );
    let (_, page) = member_page(&olga, &location).await;
    assert!(page.contains("Rosa Diaz</a>: 2 coworker(s)"), "{page}");

    // Ada has been talked to.
    form(
        &olga,
        &format!("/chapters/bakers/members/{ada}/one-on-ones"),
        &[
            ("csrf", csrf.clone()),
            ("date", unionhall_members::chart::today()),
            ("by", "Rosa".into()),
            ("next_step", "Sign the petition".into()),
            ("next_step_due", "2099-01-01".into()),
        ],
    )
    .await;

    // A test needs its day: without one it is refused in words, not dated today.
    let undated = form(
        &olga,
        "/chapters/bakers/tests",
        &[
            ("csrf", csrf.clone()),
            ("title", "Petition".into()),
            ("date", String::new()),
        ],
    )
    .await;
    assert_eq!(undated.status(), StatusCode::BAD_REQUEST);
    let page = undated.text().await.unwrap();
    assert!(page.contains("the day of the test"), "{page}");

    // A structure test for Packing; Ada took part, Rosa did not.
    let planned = form(
        &olga,
        "/chapters/bakers/tests",
        &[
            ("csrf", csrf.clone()),
            ("title", "Wear the button on Thursday".into()),
            ("date", unionhall_members::chart::today()),
            ("departments", "Packing".into()),
        ],
    )
    .await;
    assert_eq!(planned.status(), StatusCode::SEE_OTHER);
    let test_page = planned.headers()["location"].to_str().unwrap().to_owned();
    let (_, page) = member_page(&olga, &test_page).await;
    assert!(
        page.contains("0 of 2") && !page.contains("Bo Chen"),
        "{page}"
    );
    let recorded = olga
        .request(Method::POST, &format!("{test_page}/participation"))
        .header("accept", HTML)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&shown={rosa}&shown={ada}&took={ada}"))
        .send()
        .await
        .unwrap();
    assert_eq!(recorded.status(), StatusCode::SEE_OTHER);
    let (_, page) = member_page(&olga, &test_page).await;
    assert!(page.contains("1 of 2"), "{page}");
    // Narrowed to the night shift of Packing (both are), the form only
    // changes those it shows: unticking nobody on a page showing only Rosa
    // leaves Ada's participation alone.
    let (_, narrowed) = member_page(
        &olga,
        &format!("{test_page}?department=packing&shift=nights"),
    )
    .await;
    assert!(narrowed.contains("Rosa Diaz") && narrowed.contains("Ada Byron"));
    let recorded = olga
        .request(
            Method::POST,
            &format!("{test_page}/participation?department=packing&shift=x"),
        )
        .header("accept", HTML)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&shown={rosa}"))
        .send()
        .await
        .unwrap();
    assert_eq!(recorded.status(), StatusCode::SEE_OTHER);
    assert!(recorded.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("?department=packing&shift=x"));
    let (_, page) = member_page(&olga, &test_page).await;
    assert!(page.contains("1 of 2"), "{page}");
    // The result suggests Ada 3 -> 2 and Rosa 1 -> 2; nothing changes until confirmed.
    assert!(page.contains("Confirm 2"));
    let (_, file) = olga
        .get(&format!("/api/v1/chapters/bakers/members/{ada}"))
        .await;
    assert_eq!(file["assessment"], 3);
    let confirmed = form(
        &olga,
        &format!("{test_page}/confirm"),
        &[
            ("csrf", csrf.clone()),
            ("member", ada.to_string()),
            ("assessment", "2".into()),
        ],
    )
    .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let (_, file) = olga
        .get(&format!("/api/v1/chapters/bakers/members/{ada}"))
        .await;
    assert_eq!(file["assessment"], 2);

    // The chart: which department is strong, whom nobody has talked to.
    let (status, chart) = member_page(&olga, "/chapters/bakers/chart").await;
    assert_eq!(status, 200);
    assert_self_contained(&chart);
    // Olga has no record of her own here: no link to a list she cannot have.
    assert!(!chart.contains("/my-list"), "{chart}");
    assert!(chart.contains("Packing") && chart.contains("Ovens"));
    assert!(
        chart.contains("Nobody has talked to them yet (3)"),
        "{chart}"
    );
    for name in ["Rosa Diaz", "Bo Chen", "Cy Young"] {
        assert!(chart.contains(name), "{name} is on the list");
    }
    assert!(chart.contains("1 of 2</strong> took part"));
    // Packing: 1 of 2 covered (Ada: assigned and talked to).
    assert!(
        chart.contains("<strong>50%</strong> <span class=\"muted\">(1)</span>"),
        "{chart}"
    );
    let (_, narrowed) = member_page(&olga, "/chapters/bakers/chart?department=ovens").await;
    assert!(!narrowed.contains(&format!("/members/{rosa}\">Rosa Diaz")));
    assert!(narrowed.contains(&format!("/members/{bo}\">Bo Chen")));
    // The committee member's own list.
    let rosa_account = {
        let (_, invite) = olga
            .post(
                "/api/v1/groups/bakers/invites",
                json!({"role": "member", "member_id": rosa}),
            )
            .await;
        let link = url::Url::parse(invite["url"].as_str().unwrap()).unwrap();
        let link = olga.base.join(link.path()).unwrap();
        let response = crate::members::accept(&link, "rosa", crate::members::PASSWORD).await;
        let cookie = crate::members::set_cookie(&response, "uh_session").unwrap();
        crate::members::account_from_cookie(&olga.base, cookie).await
    };
    let (status, list) = member_page(&rosa_account, "/chapters/bakers/my-list").await;
    assert_eq!(status, 200);
    assert!(list.contains("Ada Byron") && list.contains("Cy Young"));
    assert!(list.contains("due 2099-01-01") && list.contains("Never talked to."));
    assert!(
        list.find("Ada Byron") < list.find("Cy Young"),
        "due steps first"
    );
    let (status, _) = member_page(&rosa_account, "/chapters/bakers/chart").await;
    assert_eq!(status, 403);
    // Removing a relationship from the page.
    let (_, page) = member_page(&olga, &format!("/chapters/bakers/members/{bo}")).await;
    let action = page
        .split("action=\"")
        .find(|a| a.contains("/relationships/") && a.contains("/remove"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let removed = form(&olga, &action, &[("csrf", csrf.clone())]).await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    let (_, page) = member_page(&olga, &format!("/chapters/bakers/members/{bo}")).await;
    assert!(page.contains("No relationship recorded yet."));

    // A test of a past day, entered now, counts the roster as it stands; a
    // coworker hired after that is not in it.
    let past = form(
        &olga,
        "/chapters/bakers/tests",
        &[
            ("csrf", csrf.clone()),
            ("title", "Petition last month".into()),
            ("date", "2026-11-01".into()),
            ("departments", "Packing".into()),
        ],
    )
    .await;
    let past_page = past.headers()["location"].to_str().unwrap().to_owned();
    add(
        &olga,
        json!({"name": "Dee Newhire", "department": "Packing"}),
    )
    .await;
    let (_, page) = member_page(&olga, &past_page).await;
    assert!(
        page.contains("0 of 2") && !page.contains("Dee Newhire"),
        "{page}"
    );
    // Deleted from its page, after a question.
    assert!(page.contains(&format!("action=\"{past_page}/delete\"")));
    let asked = form(
        &olga,
        &format!("{past_page}/delete"),
        &[("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(asked.status(), StatusCode::OK);
    assert!(asked
        .text()
        .await
        .unwrap()
        .contains("Delete the structure test"));
    assert_eq!(
        member_page(&olga, &past_page).await.0,
        200,
        "asking deleted nothing"
    );
    let deleted = form(
        &olga,
        &format!("{past_page}/delete"),
        &[("csrf", csrf.clone()), ("confirmed", "yes".into())],
    )
    .await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(member_page(&olga, &past_page).await.0, 404);
}

/// In Chromium at phone width: the chart of a few dozen coworkers reads
/// without scrolling sideways; screenshots in target/screenshots/.
#[tokio::test]
async fn in_a_real_browser_the_chart_reads_on_a_phone() {
    if !browser::Browser::available() {
        return;
    }
    let a = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let sam = join(&a, "bakers", Role::Organizer, "sam").await;
    workplace(&sam).await;
    for i in 0..40 {
        let department = ["Packing", "Ovens", "Shipping and receiving", "Sanitation"][i % 4];
        let shift = ["Days", "Nights"][i % 2];
        let id = add(
            &sam,
            json!({"name": format!("Coworker {i}"), "department": department,
                   "shift": shift, "assessment": (i % 5) + 1}),
        )
        .await;
        if i % 3 == 0 {
            sam.post(
                &format!("/api/v1/chapters/bakers/members/{id}/one-on-ones"),
                json!({"date": unionhall_members::chart::today(), "by": "Sam"}),
            )
            .await;
        }
    }
    sam.call(
        Method::PUT,
        "/api/v1/chapters/bakers/assignments",
        Some(json!({"department": "packing", "assignee": 1})),
    )
    .await;
    let browser = browser::Browser::start().await;
    let link = crate::members::invite_link(&a, "bakers", Role::Organizer).await;
    browser.goto(&link).await;
    browser.type_into("#username", "olga").await;
    browser
        .type_into("#password", crate::members::PASSWORD)
        .await;
    browser.submit("form button").await;
    browser.goto(&a.at("/chapters/bakers/chart")).await;
    browser.screenshot("chart", 390, 844).await;
    let source = browser.source().await;
    assert!(source.contains("Workplace chart of @bakers"), "{source}");
    assert!(source.contains("<svg class=\"bar\""));
    let fits = browser
        .script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth;",
        )
        .await;
    assert_eq!(fits, true, "the chart scrolls sideways on a phone");
    let bars = browser
        .script("return document.querySelectorAll('svg.bar rect').length;")
        .await;
    assert!(bars.as_u64().unwrap() > 10, "{bars}");
    browser.screenshot("chart", 1280, 800).await;
    browser.quit().await;
}
