//! In headless Chromium: an organizer announces a strike and moves its status,
//! answers a coordinated action of the chapter's union body, adds a member and
//! logs a one-on-one; screenshots of those pages at phone and desktop width,
//! each checked by axe-core.

use super::browser::Browser;
use crate::federation::create_chapter;
use crate::helpers::{fresh_database, spawn_instance_on};
use crate::solidarity::create_body;
use unionhall_domain::{CoordinatedAction, Role};
use unionhall_federation::activities::{action, union};

const PHONE: (u32, u32) = (390, 844);
const DESKTOP: (u32, u32) = (1280, 800);

#[tokio::test]
async fn in_a_real_browser_an_organizer_runs_a_strike_answers_an_action_and_keeps_the_roster() {
    if !Browser::available() {
        return;
    }
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_body(&a, "foodunion").await;
    union::apply(
        &a.data,
        &unionhall_domain::Authority::Operator,
        "bakers",
        "foodunion",
    )
    .await
    .unwrap();
    union::decide(
        &a.data,
        &unionhall_domain::Authority::Operator,
        "foodunion",
        &a.data.urls.actor("bakers"),
        true,
    )
    .await
    .unwrap();
    let deadline = unionhall_store::now_millis() + 3 * 24 * 3600 * 1000;
    let proposed = action::propose(
        &a.data,
        &unionhall_domain::Authority::Operator,
        "foodunion",
        CoordinatedAction {
            title: "Lunch-hour walkout".into(),
            details: String::new(),
            place: None,
            starts_at: None,
            decision_deadline: deadline,
            commitment: "one hour at noon".into(),
        },
    )
    .await
    .unwrap();
    let browser = Browser::start().await;
    let shot = |name: &'static str| look(&browser, name);

    // Ada joins as the chapter's admin.
    let link = crate::members::invite_link(&a, "bakers", Role::Admin).await;
    browser.goto(&link).await;
    shot("invite").await;
    browser.type_into("#username", "ada").await;
    browser
        .type_into("#password", crate::members::PASSWORD)
        .await;
    browser.submit("form[action^='/invite/'] button").await;
    assert_eq!(browser.url().await.path(), "/");
    // She runs the instance too, as the operator says at the command line.
    a.members.set_instance_admin("ada", true).await.unwrap();

    // A strike, announced and then on.
    browser.goto(&a.at("/chapters/bakers/strikes/new")).await;
    shot("strike-form").await;
    browser.type_into("#employer", "Acme Bakeries").await;
    browser.type_into("#workplace", "Plant 2").await;
    browser
        .type_into("#picket_address", "Gate 3, 12 Mill Road")
        .await;
    browser.submit("form[action$='/strikes/new'] button").await;
    let manage = browser.source().await;
    assert!(manage.contains("Strike at Acme Bakeries"), "{manage}");
    browser.type_into("#text", "We walked out at 6am").await;
    browser.submit("button[value='on_strike']").await;
    let manage = browser.source().await;
    assert!(
        manage.contains("followers are told") && manage.contains("We walked out at 6am"),
        "{manage}"
    );
    shot("strike-manage").await;

    // The body's action waits on the board; Ada commits 30 people.
    browser.goto(&a.at("/")).await;
    let board = browser.source().await;
    assert!(board.contains("Lunch-hour walkout"), "{board}");
    shot("board-organizer").await;
    browser
        .submit(&format!("a[href='/actions/{}']", proposed.id))
        .await;
    browser.type_into("#people-bakers", "30").await;
    browser
        .submit("form[action$='/answer'] button[value='commit']")
        .await;
    let action_page = browser.source().await;
    assert!(
        action_page.contains("1 chapter in, 30 people; 0 declined"),
        "{action_page}"
    );
    shot("action").await;

    // A member added to the roster, and a conversation logged.
    browser.goto(&a.at("/chapters/bakers/members/new")).await;
    browser.type_into("#name", "Rosa Example").await;
    browser.type_into("#department", "Ovens").await;
    browser.submit("form[action$='/members/new'] button").await;
    let member = browser.source().await;
    assert!(member.contains("<h1>Rosa Example</h1>"), "{member}");
    browser.type_into("#by", "ada").await;
    browser
        .type_into("#issues", "Short staffing on the early shift")
        .await;
    browser.type_into("#next_step", "Bring a coworker").await;
    browser.submit("form[action$='/one-on-ones'] button").await;
    let member = browser.source().await;
    assert!(
        member.contains("Short staffing on the early shift") && member.contains("Bring a coworker"),
        "{member}"
    );
    shot("member").await;
    // Who has looked at Rosa's record: the log about it, from its page.
    // (`submit` clicks and waits for the page it leads to, a link's too.)
    browser.submit("a[href*='/audit?member=']").await;
    let log = browser.source().await;
    assert!(
        log.contains("added a member record") && log.contains("logged a conversation"),
        "{log}"
    );
    shot("audit-of-one-record").await;
    browser.goto(&a.at("/chapters/bakers/roster")).await;
    shot("roster").await;
    // On paper: the list, without the top bar or the forms.
    browser.emulate_media("print").await;
    let printed = browser
        .script(
            "return [getComputedStyle(document.querySelector('header.top')).display, \
             getComputedStyle(document.querySelector('main form')).display, \
             getComputedStyle(document.querySelector('main')).display];",
        )
        .await;
    assert_eq!(printed, serde_json::json!(["none", "none", "block"]));
    shot("roster-print").await;
    browser.emulate_media("").await;
    // A blocked server, so the admin page has an "Unblock" button drawn as a
    // link: readable (AA contrast, 4.5:1) against what is behind it.
    unionhall_federation::policy::block(&a.data, "spam.example", "spam")
        .await
        .unwrap();
    browser.goto(&a.at("/admin")).await;
    let contrast = browser.script(LINK_BUTTON_CONTRAST).await;
    let contrast = contrast.as_f64().expect("a link-styled button in the page");
    assert!(
        contrast >= 4.5,
        "link-styled buttons have contrast {contrast}:1"
    );
    shot("admin").await;
    browser.quit().await;
}

/// Screenshots of the current page at phone and desktop width, each checked
/// by axe-core: no serious or critical finding at either width.
pub(super) async fn look(browser: &Browser, name: &str) {
    for (width, height) in [PHONE, DESKTOP] {
        browser.screenshot(name, width, height).await;
        let problems = browser.accessibility_problems().await;
        assert!(
            problems.is_empty(),
            "{name} at {width} px wide: {problems:#?}"
        );
    }
}

/// The contrast ratio (WCAG) of the first link-styled button in the page's
/// content against the first background behind it that is not transparent.
const LINK_BUTTON_CONTRAST: &str = r#"
const button = document.querySelector('main button.link');
if (!button) { return null; }
const channels = (css) => css.match(/[\d.]+/g).map(Number);
const luminance = (css) => {
  const [r, g, b] = channels(css).slice(0, 3).map((v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
let behind = 'rgb(255, 255, 255)';
for (let el = button; el; el = el.parentElement) {
  const bg = getComputedStyle(el).backgroundColor;
  if (bg !== 'transparent' && !bg.startsWith('rgba(0, 0, 0, 0)')) { behind = bg; break; }
}
const a = luminance(getComputedStyle(button).color);
const b = luminance(behind);
return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
"#;
