//! The operator recovers accounts from the command line: a one-time link for a
//! lost password or second factor, and who runs the instance.

use super::*;
use crate::cli::{assert_one_line_failure, run_beside_servers, unionhall};
use crate::federation::create_chapter;
use crate::helpers::{spawn_instance, TestInstance, TEST_MEMBER_KEY};

/// `unionhall account ARGS...` against a running test instance, as its
/// operator runs it: (success, stdout, stderr).
async fn account_command(instance: &TestInstance, args: &[&str]) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = unionhall(dir.path());
    cmd.env("UNIONHALL_DATABASE__URL", &instance.db.url)
        .env("UNIONHALL_INSTANCE__PUBLIC_URL", instance.url.as_str())
        .env("UNIONHALL_MEMBERS__KEY", TEST_MEMBER_KEY)
        .env("UNIONHALL_LOG__LEVEL", "error")
        .arg("account")
        .args(args);
    let (output, stderr) = run_beside_servers(cmd).await;
    if !output.status.success() {
        assert_one_line_failure(&output, &stderr, "");
    }
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.success(), stdout, stderr)
}

/// Opens a reset link's page and submits a new password: (status, page).
async fn use_reset_link(link: &Url, new_password: &str) -> (StatusCode, String) {
    let client = browser();
    let page = client.get(link.clone()).send().await.unwrap();
    let status = page.status();
    let Some(form_cookie) = set_cookie(&page, "uh_form") else {
        return (status, page.text().await.unwrap());
    };
    let csrf = csrf_field(&page.text().await.unwrap());
    let done = client
        .post(link.clone())
        .header("cookie", format!("uh_form={form_cookie}"))
        .form(&[("csrf", csrf.as_str()), ("password", new_password)])
        .send()
        .await
        .unwrap();
    (done.status(), done.text().await.unwrap())
}

#[tokio::test]
async fn a_lost_password_is_reset_with_a_one_time_link_that_ends_every_session() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let ada = join(&instance, "bakers", Role::Admin, "ada").await;
    let (status, token) = ada
        .post(
            "/api/v1/me/tokens",
            serde_json::json!({"name": "phone", "scope": "read", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let token = token["token"].as_str().unwrap().to_owned();

    let (ok, stdout, stderr) = account_command(&instance, &["reset", "ada"]).await;
    assert!(ok, "{stderr}");
    let link = Url::parse(stdout.trim()).unwrap();
    assert!(link.path().starts_with("/reset/uhr_"), "{link}");
    // Whoever may be in the account is out as soon as the link is made.
    assert_eq!(ada.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let with_token = browser()
        .get(instance.at("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), StatusCode::UNAUTHORIZED);

    // Too short a password changes nothing; the link still works.
    let (status, page) = use_reset_link(&link, "short").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    let (status, page) = use_reset_link(&link, "a brand new passphrase").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Your new password is set"), "{page}");
    assert_eq!(
        login_form(&instance.url, "ada", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_form(&instance.url, "ada", "a brand new passphrase")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // Once only.
    let (status, _) = use_reset_link(&link, "yet another passphrase").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_reset_link_can_take_away_a_lost_second_factor() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let rosa = join(&instance, "bakers", Role::Admin, "rosa").await;
    let (status, setup) = rosa.post("/api/v1/me/totp", serde_json::json!({})).await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    let secret = super::accounts::from_base32(setup["secret"].as_str().unwrap());
    let step = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30;
    let code = format!(
        "{:06}",
        unionhall_members::crypto::totp::code_at(&secret, step)
    );
    let (status, body) = rosa
        .post("/api/v1/me/totp/confirm", serde_json::json!({"code": code}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // The phone is lost: the password alone no longer opens the account.
    assert_eq!(
        login_form(&instance.url, "rosa", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // A plain reset keeps the second factor...
    let (_, stdout, _) = account_command(&instance, &["reset", "rosa"]).await;
    let link = Url::parse(stdout.trim()).unwrap();
    let (status, _) = use_reset_link(&link, "a new passphrase here").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        login_form(&instance.url, "rosa", "a new passphrase here")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // ...and one with --second-factor removes it.
    let (ok, stdout, stderr) =
        account_command(&instance, &["reset", "rosa", "--second-factor"]).await;
    assert!(ok, "{stderr}");
    let link = Url::parse(stdout.trim()).unwrap();
    let (status, page) = use_reset_link(&link, "the passphrase after").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        login_form(&instance.url, "rosa", "the passphrase after")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_reset_link_for_no_one_or_a_made_up_link_is_refused() {
    let instance = spawn_instance().await;
    let (ok, _, stderr) = account_command(&instance, &["reset", "nobody"]).await;
    assert!(!ok);
    assert!(stderr.contains("no account \"nobody\""), "{stderr}");
    let made_up = instance.at("/reset/uhr_made_up");
    assert_eq!(
        use_reset_link(&made_up, "whatever it is").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn only_the_operator_makes_an_instance_admin() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let ada = join(&instance, "bakers", Role::Admin, "ada").await;
    assert_eq!(
        ada.get("/api/v1/admin/federation").await.0,
        StatusCode::FORBIDDEN
    );
    let (ok, stdout, stderr) = account_command(&instance, &["instance-admin", "ada"]).await;
    assert!(ok, "{stderr}");
    assert!(stdout.contains("instance admins: ada"), "{stdout}");
    assert_eq!(ada.get("/api/v1/admin/federation").await.0, StatusCode::OK);
    let (ok, stdout, _) = account_command(&instance, &["instance-admin", "ada", "--remove"]).await;
    assert!(ok);
    assert!(stdout.contains("instance admins: none"), "{stdout}");
    assert_eq!(
        ada.get("/api/v1/admin/federation").await.0,
        StatusCode::FORBIDDEN
    );
    let (ok, _, stderr) = account_command(&instance, &["instance-admin", "nobody"]).await;
    assert!(!ok);
    assert!(stderr.contains("no account"), "{stderr}");
}
