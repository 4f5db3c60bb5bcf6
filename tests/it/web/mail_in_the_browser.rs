//! In headless Chromium, against a real mail server: a member sets her
//! address on her account page and confirms it from the mail, turns off
//! reminders, logs out, forgets her password, asks for a link at /forgot and
//! sets a new password from the mail. Every page checked by axe-core.

use super::browser::Browser;
use super::in_the_browser::look;
use crate::email::smtp::SmtpServer;
use crate::federation::create_chapter;
use crate::helpers::{fresh_database, spawn_configured_instance_on, wait_for};
use crate::members::invite_link;
use unionhall_domain::Role;
use url::Url;

#[tokio::test]
async fn in_a_real_browser_a_member_confirms_her_address_and_resets_a_forgotten_password() {
    if !Browser::available() || !SmtpServer::available() {
        return;
    }
    let smtp = SmtpServer::start("127.0.0.9").await;
    let settings = smtp.settings();
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = spawn_configured_instance_on("127.0.0.2", fresh_database().await, &settings).await;
    create_chapter(&a, "bakers").await;
    let browser = Browser::start().await;
    browser
        .accept_invitation(&invite_link(&a, "bakers", Role::Member).await, "ada")
        .await;

    // Her address, on her account page; the link comes by mail.
    browser.goto(&a.at("/account")).await;
    look(&browser, "account-mail").await;
    browser.type_into("#email_address", "ada@example.org").await;
    browser.submit("form[action='/account/email'] button").await;
    let page = browser.source().await;
    assert!(
        page.contains("a link to confirm the address is on its way"),
        "{page}"
    );
    assert!(
        page.contains("waiting for you to follow the link"),
        "{page}"
    );
    wait_for("the confirmation mail", 20, || async {
        smtp.received().len() == 1
    })
    .await;
    let link = smtp.received()[0].link("http://").expect("a link");
    browser.goto(&Url::parse(&link).unwrap()).await;
    assert!(browser.source().await.contains("the address is confirmed"));
    look(&browser, "email-confirmed").await;

    // No reminders, thank you.
    browser.goto(&a.at("/account")).await;
    browser.click("#reminders_on").await;
    browser.submit("form[action='/account/mail'] button").await;
    let page = browser.source().await;
    assert!(page.contains("your choice of mail is saved"), "{page}");
    assert!(
        page.contains("name=\"reminders\" type=\"checkbox\" value=\"on\">"),
        "{page}"
    );

    // Logged out, password and username forgotten: she gives her address,
    // a link comes by mail, she sets a new password.
    browser.submit("form[action='/logout'] button").await;
    browser.goto(&a.at("/login")).await;
    browser.click("a[href='/forgot']").await;
    look(&browser, "forgot").await;
    browser.type_into("#username", "ada@example.org").await;
    browser.submit("form[action='/forgot'] button").await;
    assert!(browser
        .source()
        .await
        .contains("If that is an account, or the confirmed email address of one"));
    look(&browser, "forgot-asked").await;
    wait_for("the reset mail", 20, || async {
        smtp.received().len() == 2
    })
    .await;
    let link = smtp.received()[1]
        .link(a.at("/reset/").as_str())
        .expect("the reset link");
    browser.goto(&Url::parse(&link).unwrap()).await;
    browser.type_into("#password", "a brand new password").await;
    browser.submit("form[action^='/reset/'] button").await;
    look(&browser, "reset-done").await;
    assert_eq!(
        crate::members::login_form(&a.url, "ada", "a brand new password")
            .await
            .status(),
        reqwest::StatusCode::SEE_OTHER
    );
    browser.quit().await;
    a.stop().await;
}
