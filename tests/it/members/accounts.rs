//! Invitations, login, sessions, CSRF and API tokens.

use super::*;
use crate::federation::create_chapter;
use crate::helpers::spawn_instance;

#[tokio::test]
async fn an_invitation_signs_up_once_and_the_cookie_is_locked_down() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let link = invite_link(&instance, "bakers", Role::Organizer).await;

    let page = browser().get(link.clone()).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("Join bakers as organizer"), "{html}");

    let response = accept(&link, "rosa", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let set = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("uh_session="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    let cookie = set_cookie(&response, "uh_session").unwrap();
    let rosa = account_from_cookie(&instance.url, cookie).await;
    let (status, me) = rosa.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "rosa");
    assert_eq!(me["roles"][0]["role"], "organizer");

    // The link works once.
    let again = browser().get(link.clone()).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::GONE);
    let second = accept_without_page(&link, "someone").await;
    assert_eq!(second, StatusCode::FORBIDDEN, "no form cookie, no form");
    // A made-up link is not found, and says so.
    let fake = browser()
        .get(instance.at("/invite/uhi_madeup"))
        .send()
        .await
        .unwrap();
    assert_eq!(fake.status(), StatusCode::NOT_FOUND);
}

async fn accept_without_page(link: &Url, username: &str) -> StatusCode {
    browser()
        .post(link.clone())
        .form(&[
            ("csrf", "x"),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn an_expired_invitation_is_refused() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let link = invite_link(&instance, "bakers", Role::Member).await;
    let token = link.path().trim_start_matches("/invite/").to_owned();
    // Expire it in the database, as time would.
    raw_sql(&instance, "UPDATE invites SET expires_at = 1")
        .await
        .unwrap();
    let page = browser().get(link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(page.text().await.unwrap().contains("expired"));
    let err = instance
        .members
        .accept_invite(&token, "late", PASSWORD)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
}

#[tokio::test]
async fn sign_up_checks_username_and_password_and_changes_nothing_when_refused() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let link = invite_link(&instance, "bakers", Role::Member).await;
    let short = accept(&link, "rosa", "short").await;
    assert_eq!(short.status(), StatusCode::BAD_REQUEST);
    assert!(short
        .text()
        .await
        .unwrap()
        .contains("at least 10 characters"));
    let bad_name = accept(&link, "Rosa Diaz", PASSWORD).await;
    assert_eq!(bad_name.status(), StatusCode::BAD_REQUEST);
    // The invitation is still good after refused attempts.
    let ok = accept(&link, "rosa", PASSWORD).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_second_invitation_adds_a_role_to_an_existing_account_once_logged_in() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    create_chapter(&instance, "millers").await;
    let rosa = join(&instance, "bakers", Role::Member, "rosa").await;
    let link = invite_link(&instance, "millers", Role::Organizer).await;
    // The sign-up form takes no credentials of an existing account: a wrong
    // and a right password get the same answer, and neither adds the role
    // (the form is no password oracle outside the login's limits).
    for password in ["not rosa's password", PASSWORD] {
        let answer = accept(&link, "rosa", password).await;
        assert_eq!(answer.status(), StatusCode::CONFLICT);
        assert!(answer.text().await.unwrap().contains("log in first"));
    }
    let (_, me) = rosa.get("/api/v1/me").await;
    assert_eq!(me["roles"].as_array().unwrap().len(), 1, "{me}");
    // Logged in, Rosa accepts it for her account.
    let right = accept_logged_in(&rosa, &link).await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    let (_, me) = rosa.get("/api/v1/me").await;
    assert_eq!(me["roles"].as_array().unwrap().len(), 2, "{me}");
    // An invitation with a lower role does not demote anyone.
    let lower = invite_link(&instance, "millers", Role::Member).await;
    assert_eq!(
        accept_logged_in(&rosa, &lower).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, me) = rosa.get("/api/v1/me").await;
    assert!(me["roles"].to_string().contains("organizer"), "{me}");
}

#[tokio::test]
async fn an_invitation_tied_to_a_record_links_it_to_an_existing_account_once() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let olga = join(&instance, "bakers", Role::Organizer, "olga").await;
    let rosa = join(&instance, "bakers", Role::Member, "rosa").await;
    let mut ids = Vec::new();
    for marker in ["A", "B"] {
        let (status, created) = olga
            .post(
                "/api/v1/chapters/bakers/members",
                marked_record(marker, "+1 555 0100"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        ids.push(created["id"].as_i64().unwrap());
    }
    let group = instance.members.group("bakers").await.unwrap();
    let mut links = Vec::new();
    for id in &ids {
        let invite = instance
            .members
            .create_invite(None, &group, Role::Member, Some(*id))
            .await
            .unwrap();
        links.push(
            instance
                .url
                .join(&format!("/invite/{}", invite.token))
                .unwrap(),
        );
    }
    // Rosa has an account but no record; the invitation gives her hers.
    let (status, _) = rosa.get("/api/v1/me/record").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        accept_logged_in(&rosa, &links[0]).await.status(),
        StatusCode::SEE_OTHER
    );
    let (status, record) = rosa.get("/api/v1/me/record").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(record["name"], "NameA", "{record}");
    // A second record is refused, and changes nothing.
    assert_eq!(
        accept_logged_in(&rosa, &links[1]).await.status(),
        StatusCode::CONFLICT
    );
    let (_, record) = rosa.get("/api/v1/me/record").await;
    assert_eq!(record["name"], "NameA");
}

#[tokio::test]
async fn one_address_trying_many_usernames_is_slowed_down() {
    // Two failures per username, so twenty per address.
    let instance = crate::helpers::spawn_configured_instance_on(
        "127.0.0.2",
        crate::helpers::fresh_database().await,
        &[("UNIONHALL_MEMBERS__LOGIN_MAX_FAILURES", "2")],
    )
    .await;
    create_chapter(&instance, "bakers").await;
    join(&instance, "bakers", Role::Member, "rosa").await;
    for n in 0..20 {
        let guess = login_form(&instance.url, &format!("user{n}"), "a guessed password").await;
        assert_eq!(guess.status(), StatusCode::UNAUTHORIZED, "guess {n}");
    }
    // Now even the right password is refused from this address, for a while.
    let refused = login_form(&instance.url, "rosa", PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("too many failed logins"));
}

#[tokio::test]
async fn login_logout_and_revoking_sessions() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    join(&instance, "bakers", Role::Member, "rosa").await;

    let wrong = login_form(&instance.url, "rosa", "wrong password!").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("wrong username or password"));
    let unknown = login_form(&instance.url, "nobody", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);

    let ok = login_form(&instance.url, "rosa", PASSWORD).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers()["location"], "/");
    let phone = account_from_cookie(&instance.url, set_cookie(&ok, "uh_session").unwrap()).await;
    let laptop_response = login_form(&instance.url, "rosa", PASSWORD).await;
    let laptop = account_from_cookie(
        &instance.url,
        set_cookie(&laptop_response, "uh_session").unwrap(),
    )
    .await;
    let (_, sessions) = laptop.get("/api/v1/me/sessions").await;
    // The sign-up session, the phone and the laptop.
    assert_eq!(sessions.as_array().unwrap().len(), 3, "{sessions}");

    // Logging out on the phone ends that session only.
    let page = browser()
        .get(instance.at("/account"))
        .header("cookie", format!("uh_session={}", phone.cookie))
        .send()
        .await
        .unwrap();
    let csrf = csrf_field(&page.text().await.unwrap());
    let out = browser()
        .post(instance.at("/logout"))
        .header("cookie", format!("uh_session={}", phone.cookie))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(phone.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(laptop.get("/api/v1/me").await.0, StatusCode::OK);

    // "Log me out everywhere" from the laptop.
    let (status, body) = laptop
        .call(Method::DELETE, "/api/v1/me/sessions", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(laptop.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn repeated_failed_logins_lock_the_account_for_a_while() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    join(&instance, "bakers", Role::Member, "rosa").await;
    for _ in 0..5 {
        let r = login_form(&instance.url, "rosa", "guess guess guess").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = login_form(&instance.url, "rosa", PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked
        .text()
        .await
        .unwrap()
        .contains("too many failed logins"));
    // Locked for that address (the test's client), not for another.
    let here = Some("127.0.0.1".parse().unwrap());
    let err = instance
        .members
        .login("rosa", PASSWORD, None, here)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        unionhall_members::Error::TooManyAttempts { .. }
    ));
    let elsewhere = Some("192.0.2.1".parse().unwrap());
    instance
        .members
        .login("rosa", PASSWORD, None, elsewhere)
        .await
        .expect("the owner, elsewhere, logs in");
}

#[tokio::test]
async fn forms_and_writes_need_their_csrf_token() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let rosa = join(&instance, "bakers", Role::Organizer, "rosa").await;
    // A JSON write with the cookie but without the header (a cross-site request).
    let forged = browser()
        .post(instance.at("/api/v1/chapters/bakers/members"))
        .header("cookie", format!("uh_session={}", rosa.cookie))
        .json(&serde_json::json!({ "name": "Forged" }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let wrong = browser()
        .post(instance.at("/api/v1/chapters/bakers/members"))
        .header("cookie", format!("uh_session={}", rosa.cookie))
        .header("x-csrf-token", "guessed")
        .json(&serde_json::json!({ "name": "Forged" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let (_, roster) = rosa.get("/api/v1/chapters/bakers/members").await;
    assert_eq!(roster, serde_json::json!([]), "nothing was added");
    // The logout form without its field.
    let out = browser()
        .post(instance.at("/logout"))
        .header("cookie", format!("uh_session={}", rosa.cookie))
        .form(&[("csrf", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        rosa.get("/api/v1/me").await.0,
        StatusCode::OK,
        "still logged in"
    );
    // The login form without the cookie it was shown with.
    let login = browser()
        .post(instance.at("/login"))
        .form(&[("csrf", "x"), ("username", "rosa"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn api_tokens_are_scoped_shown_once_and_revocable() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let rosa = join(&instance, "bakers", Role::Organizer, "rosa").await;
    let (status, write) = rosa
        .post(
            "/api/v1/me/tokens",
            serde_json::json!({ "name": "laptop cli", "scope": "write", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{write}");
    let write_token = write["token"].as_str().unwrap().to_owned();
    let (_, read) = rosa
        .post(
            "/api/v1/me/tokens",
            serde_json::json!({ "name": "dashboard", "scope": "read", "password": PASSWORD }),
        )
        .await;
    let read_token = read["token"].as_str().unwrap().to_owned();

    let client = crate::helpers::test_client();
    let with = |token: &str, method: Method, path: &str| {
        client.request(method, instance.at(path)).bearer_auth(token)
    };
    // A write token writes without any CSRF header: no browser sends it alone.
    let created = with(
        &write_token,
        Method::POST,
        "/api/v1/chapters/bakers/members",
    )
    .json(&serde_json::json!({ "name": "Ada" }))
    .send()
    .await
    .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let listed = with(&read_token, Method::GET, "/api/v1/chapters/bakers/members")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let refused = with(&read_token, Method::POST, "/api/v1/chapters/bakers/members")
        .json(&serde_json::json!({ "name": "Bo" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("read-only"));

    // The list never shows secrets again.
    let (_, tokens) = rosa.get("/api/v1/me/tokens").await;
    assert_eq!(tokens.as_array().unwrap().len(), 2);
    assert!(!tokens.to_string().contains(&write_token));
    assert!(tokens[0]["last_used_at"].is_i64(), "{tokens}");

    let id = write["id"].as_i64().unwrap();
    let (status, _) = rosa
        .call(Method::DELETE, &format!("/api/v1/me/tokens/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let after = with(&write_token, Method::GET, "/api/v1/me")
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    let bad_scope = rosa
        .post(
            "/api/v1/me/tokens",
            serde_json::json!({ "name": "x", "scope": "admin", "password": PASSWORD }),
        )
        .await;
    assert_eq!(bad_scope.0, StatusCode::BAD_REQUEST);
    assert_eq!(bad_scope.1["error"]["field"], "scope");
}

pub(super) fn from_base32(text: &str) -> Vec<u8> {
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {text}"),
        };
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

#[tokio::test]
async fn a_second_factor_is_confirmed_then_required_and_each_code_works_once() {
    use unionhall_members::crypto::totp::code_at;
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let rosa = join(&instance, "bakers", Role::Admin, "rosa").await;
    // Run the whole sequence inside one 30-second step, so "the step before,
    // this one, the next" are stable.
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    if now() % 30 > 24 {
        tokio::time::sleep(std::time::Duration::from_secs(30 - now() % 30)).await;
    }
    let step = now() / 30;
    let (status, setup) = rosa.post("/api/v1/me/totp", serde_json::json!({})).await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    assert!(setup["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/"));
    let secret = from_base32(setup["secret"].as_str().unwrap());
    let code = |s: u64| format!("{:06}", code_at(&secret, s));

    // Not in force until confirmed.
    assert_eq!(
        login_form(&instance.url, "rosa", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let wrong = rosa
        .post(
            "/api/v1/me/totp/confirm",
            serde_json::json!({"code": "000000"}),
        )
        .await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED, "{}", wrong.1);
    let confirmed = rosa
        .post(
            "/api/v1/me/totp/confirm",
            serde_json::json!({"code": code(step - 1)}),
        )
        .await;
    assert_eq!(confirmed.0, StatusCode::NO_CONTENT, "{}", confirmed.1);
    assert_eq!(rosa.get("/api/v1/me").await.1["second_factor"], true);

    let without = login_form(&instance.url, "rosa", PASSWORD).await;
    assert_eq!(without.status(), StatusCode::UNAUTHORIZED);
    assert!(without.text().await.unwrap().contains("authenticator app"));
    let replayed = instance
        .members
        .login("rosa", PASSWORD, Some(&code(step - 1)), None)
        .await;
    assert!(replayed.is_err(), "a used code works again");
    let with = instance
        .members
        .login("rosa", PASSWORD, Some(&code(step)), None)
        .await;
    assert!(with.is_ok(), "{with:?}");

    let off = rosa
        .post(
            "/api/v1/me/totp/disable",
            serde_json::json!({"code": code(step + 1)}),
        )
        .await;
    assert_eq!(off.0, StatusCode::NO_CONTENT, "{}", off.1);
    assert!(instance
        .members
        .login("rosa", PASSWORD, None, None)
        .await
        .is_ok());
}

/// Kilobytes of a process's memory, from /proc (`VmRSS` now, `VmHWM` at its
/// highest).
fn memory_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// 200 failed logins sent together take the server (the real binary, measured
/// from outside) to no more than 100 MB over what it used before: password
/// hashes (19 MiB each) run a few at a time, and the rest wait their turn or
/// are told to come back (503 with Retry-After).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_failed_logins_leaves_memory_flat_and_the_owner_gets_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = match crate::helpers::postgres_server() {
        Some(_) => Some(crate::helpers::fresh_database().await),
        None => None,
    };
    // Ada's account, made as the operator makes the first one.
    let cli = |args: &[&str]| {
        let mut cmd = crate::cli::unionhall(dir.path());
        cmd.env("UNIONHALL_LOG__LEVEL", "error").args(args);
        if let Some(db) = &db {
            cmd.env("UNIONHALL_DATABASE__URL", &db.url);
        }
        let (output, stderr) = crate::cli::run(&mut cmd);
        assert!(output.status.success(), "{stderr}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    cli(&["chapter", "create", "bakers", "--name", "Bakers"]);
    let printed = cli(&["account", "invite", "bakers", "--role", "admin"]);
    let invite_path = Url::parse(printed.trim()).unwrap().path().to_owned();
    let (child, addr) = crate::cli::start_server(dir.path(), db.as_ref().map(|d| d.url.as_str()));
    let server = crate::cli::KillOnDrop(child);
    let base = Url::parse(&format!("http://{addr}/")).unwrap();
    let signed_up = accept(&base.join(&invite_path).unwrap(), "ada", PASSWORD).await;
    assert_eq!(signed_up.status(), StatusCode::SEE_OTHER);
    // Warm up: one login of each outcome, so that what is measured is the flood.
    login_form(&base, "warm-up", "a wrong password").await;
    let before = memory_kb(server.0.id(), "VmRSS:");
    // A stranger sends 200 guesses at Ada's password at once.
    let attempts = (0..200).map(|n| {
        let base = base.clone();
        tokio::spawn(async move {
            let answer = login_form(&base, "ada", &format!("guess number {n}")).await;
            let retry_after = answer.headers().contains_key("retry-after");
            (answer.status(), retry_after)
        })
    });
    let answers = futures_join(attempts).await;
    let peak = memory_kb(server.0.id(), "VmHWM:");
    for (status, retry_after) in &answers {
        assert!(
            [401, 429, 503].contains(&status.as_u16()),
            "a failed login answered {status}"
        );
        if status.as_u16() != 401 {
            assert!(retry_after, "{status} without Retry-After");
        }
    }
    let grew_mb = peak.saturating_sub(before) / 1024;
    assert!(
        grew_mb < 100,
        "200 failed logins took the server from {} MB to {} MB",
        before / 1024,
        peak / 1024
    );
    // Ada, from her own address, gets in.
    let owner = login_form_from(&base, Some("127.0.0.2"), None, "ada", PASSWORD).await;
    assert_eq!(
        owner.status(),
        StatusCode::SEE_OTHER,
        "the owner is locked out"
    );
}

async fn futures_join<T: Send + 'static>(
    tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        out.push(task.await.unwrap());
    }
    out
}

/// A seized phone with an open session: it mints no token without the
/// password, "log out everywhere" ends the tokens too, and a token expires.
#[tokio::test]
async fn tokens_need_the_password_end_with_the_sessions_and_expire() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let rosa = join(&instance, "bakers", Role::Organizer, "rosa").await;
    let make = |password: &'static str| {
        let rosa = rosa.clone();
        async move {
            rosa.post(
                "/api/v1/me/tokens",
                serde_json::json!({ "name": "phone", "scope": "write", "password": password }),
            )
            .await
        }
    };
    let (status, refused) = make("someone else's password").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, _) = rosa
        .post(
            "/api/v1/me/tokens",
            serde_json::json!({ "name": "phone", "scope": "write" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no password at all");
    let (status, made) = make(PASSWORD).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let token = made["token"].as_str().unwrap().to_owned();
    let client = crate::helpers::test_client();
    let me_with = |token: String| {
        let request = client.get(instance.at("/api/v1/me")).bearer_auth(token);
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(me_with(token.clone()).await, StatusCode::OK);
    let (_, tokens) = rosa.get("/api/v1/me/tokens").await;
    assert!(tokens[0]["expires_at"].is_i64(), "{tokens}");

    // Log out everywhere: the session and the token are both gone.
    let (status, _) = rosa.call(Method::DELETE, "/api/v1/me/sessions", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me_with(token).await, StatusCode::UNAUTHORIZED);

    // A token past its term opens nothing.
    let again = login_form(&instance.url, "rosa", PASSWORD).await;
    let cookie = set_cookie(&again, "uh_session").expect("logged in again");
    let rosa = account_from_cookie(&instance.url, cookie).await;
    let (_, made) = rosa
        .post(
            "/api/v1/me/tokens",
            serde_json::json!({ "name": "old", "scope": "read", "password": PASSWORD }),
        )
        .await;
    let old = made["token"].as_str().unwrap().to_owned();
    raw_sql(&instance, "UPDATE api_tokens SET expires_at = 1")
        .await
        .unwrap();
    assert_eq!(me_with(old).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_counted_and_others_cannot_pick_an_address() {
    // One failure per username, so ten per address.
    let instance = crate::helpers::spawn_configured_instance_on(
        "127.0.0.2",
        crate::helpers::fresh_database().await,
        &[
            ("UNIONHALL_MEMBERS__LOGIN_MAX_FAILURES", "1"),
            ("UNIONHALL_HTTP__TRUSTED_PROXIES", "127.0.0.7"),
        ],
    )
    .await;
    // Through the proxy: one client guessing is stopped...
    for n in 0..10 {
        let status = login_form_from(
            &instance.url,
            Some("127.0.0.7"),
            Some("203.0.113.5"),
            &format!("a{n}"),
            "a wrong password",
        )
        .await
        .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {n}");
    }
    let stopped = login_form_from(
        &instance.url,
        Some("127.0.0.7"),
        Some("203.0.113.5"),
        "a10",
        "a wrong password",
    )
    .await
    .status();
    assert_eq!(stopped, StatusCode::TOO_MANY_REQUESTS);
    // ...and another client of the same proxy is not.
    let other = login_form_from(
        &instance.url,
        Some("127.0.0.7"),
        Some("203.0.113.9"),
        "b0",
        "a wrong password",
    )
    .await
    .status();
    assert_eq!(other, StatusCode::UNAUTHORIZED);
    // A client that is no trusted proxy gains nothing by sending the header:
    // its own address is counted.
    for n in 0..10 {
        let forged = format!("198.51.100.{n}");
        let status = login_form_from(
            &instance.url,
            Some("127.0.0.8"),
            Some(&forged),
            &format!("c{n}"),
            "a wrong password",
        )
        .await
        .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {n}");
    }
    let stopped = login_form_from(
        &instance.url,
        Some("127.0.0.8"),
        Some("198.51.100.77"),
        "c10",
        "a wrong password",
    )
    .await
    .status();
    assert_eq!(stopped, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_changed_password_ends_every_session_and_token() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let rosa = join(&instance, "bakers", Role::Organizer, "rosa").await;
    let (_, made) = rosa
        .post(
            "/api/v1/me/tokens",
            serde_json::json!({ "name": "laptop", "scope": "read", "password": PASSWORD }),
        )
        .await;
    let token = made["token"].as_str().unwrap().to_owned();
    let change = |current: &str, new: &str| {
        let (rosa, body) = (
            rosa.clone(),
            serde_json::json!({ "current_password": current, "new_password": new }),
        );
        async move { rosa.post("/api/v1/me/password", body).await.0 }
    };
    assert_eq!(
        change("not the password", "a brand new password").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(change(PASSWORD, "short").await, StatusCode::BAD_REQUEST);
    assert_eq!(
        change(PASSWORD, "a brand new password").await,
        StatusCode::NO_CONTENT
    );
    // Whoever held the old password, a session or a token, is out.
    assert_eq!(rosa.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let with_token = crate::helpers::test_client()
        .get(instance.at("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        login_form(&instance.url, "rosa", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let again = login_form(&instance.url, "rosa", "a brand new password").await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);

    // The same from the account page, as a person does it.
    let cookie = set_cookie(&again, "uh_session").unwrap();
    let rosa = account_from_cookie(&instance.url, cookie).await;
    let page = rosa.request(Method::GET, "/account").send().await.unwrap();
    let csrf = csrf_field(&page.text().await.unwrap());
    let changed = rosa
        .request(Method::POST, "/account/password")
        .form(&[
            ("csrf", csrf.as_str()),
            ("current_password", "a brand new password"),
            ("new_password", "the third password of rosa"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(changed.headers()["location"], "/login");
    assert_eq!(
        login_form(&instance.url, "rosa", "the third password of rosa")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_admin_unlocks_an_account_someone_tried_to_lock() {
    let instance = crate::helpers::spawn_configured_instance_on(
        "127.0.0.2",
        crate::helpers::fresh_database().await,
        &[("UNIONHALL_MEMBERS__LOGIN_MAX_FAILURES", "2")],
    )
    .await;
    create_chapter(&instance, "bakers").await;
    join(&instance, "bakers", Role::Admin, "ada").await;
    for _ in 0..2 {
        login_form(&instance.url, "ada", "a stranger's guess").await;
    }
    let locked = login_form(&instance.url, "ada", PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers().contains_key("retry-after"));
    instance.members.unlock("ada").await.unwrap();
    assert_eq!(
        login_form(&instance.url, "ada", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(instance.members.unlock("nobody").await.is_err());
}

#[tokio::test]
async fn someone_guessing_an_admins_password_does_not_lock_the_admin_out() {
    let instance = crate::helpers::spawn_configured_instance_on(
        "127.0.0.2",
        crate::helpers::fresh_database().await,
        &[("UNIONHALL_MEMBERS__LOGIN_MAX_FAILURES", "2")],
    )
    .await;
    create_chapter(&instance, "bakers").await;
    join(&instance, "bakers", Role::Admin, "ada").await;
    // The stranger at 127.0.0.7 guesses until it is stopped...
    for _ in 0..2 {
        let status = login_form_from(
            &instance.url,
            Some("127.0.0.7"),
            None,
            "ada",
            "a wrong password",
        )
        .await
        .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login_form_from(&instance.url, Some("127.0.0.7"), None, "ada", PASSWORD)
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even a right guess from there is refused now"
    );
    // ...while Ada, elsewhere, logs in.
    assert_eq!(
        login_form_from(&instance.url, Some("127.0.0.8"), None, "ada", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}
