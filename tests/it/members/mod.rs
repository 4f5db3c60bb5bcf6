//! Accounts, roles and the roster through HTTP as people and programs use them:
//! invitation links, login forms, session cookies with CSRF tokens, API tokens.

mod accounts;
pub(crate) mod at_rest;
mod chart;
mod privacy;
mod recovery;
mod roles;
mod roster;

use crate::helpers::TestInstance;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use unionhall_domain::Role;
use url::Url;

pub const PASSWORD: &str = "a long test password";

/// A client that does not follow redirects, so tests see each response.
pub fn browser() -> reqwest::Client {
    crate::helpers::test_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of a cookie a response sets.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
}

/// The hidden `csrf` field of a page's form.
pub fn csrf_field(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[start..].split('"').next().unwrap().to_owned()
}

/// Someone logged in through the browser flow: a session cookie and its CSRF
/// token, talking to the instance directly.
#[derive(Clone)]
pub struct Account {
    pub base: Url,
    pub cookie: String,
    pub csrf: String,
    client: reqwest::Client,
}

impl Account {
    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap()
    }

    /// A request with the session cookie and, for writes, the CSRF header.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let write = method != Method::GET;
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("cookie", format!("uh_session={}", self.cookie));
        if write {
            request = request.header("x-csrf-token", &self.csrf);
        }
        request
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Every page of a paged listing from `path` on, following each page's
    /// `Link: <...>; rel="next"` (which must lead back to this instance):
    /// the pages' JSON arrays, in order.
    pub async fn pages(&self, path: &str) -> Vec<Vec<Value>> {
        let (mut pages, mut next) = (Vec::new(), Some(path.to_owned()));
        while let Some(path) = next {
            let response = self.request(Method::GET, &path).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            next = response.headers().get("link").map(|link| {
                let link = link.to_str().unwrap();
                assert!(link.ends_with(">; rel=\"next\""), "{link}");
                let url = Url::parse(&link[1..link.find('>').unwrap()]).unwrap();
                assert_eq!(url.origin(), self.base.origin(), "{link}");
                format!("{}?{}", url.path(), url.query().unwrap())
            });
            let page: Value = response.json().await.unwrap();
            pages.push(page.as_array().unwrap().clone());
        }
        pages
    }
}

/// An invitation link made at the command line (as the instance admin would).
pub async fn invite_link(instance: &TestInstance, group: &str, role: Role) -> Url {
    let group = instance.members.group(group).await.unwrap();
    let invite = instance
        .members
        .create_invite(None, &group, role, None)
        .await
        .unwrap();
    instance.at(&format!("/invite/{}", invite.token))
}

/// Opens an invitation page and submits its form; returns the response.
pub async fn accept(link: &Url, username: &str, password: &str) -> reqwest::Response {
    let client = browser();
    let page = client.get(link.clone()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "invitation page");
    let form_cookie = set_cookie(&page, "uh_form").expect("a form cookie");
    let csrf = csrf_field(&page.text().await.unwrap());
    client
        .post(link.clone())
        .header("cookie", format!("uh_form={form_cookie}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

/// `account`, logged in, opens the invitation and accepts it for itself.
pub async fn accept_logged_in(account: &Account, link: &Url) -> reqwest::Response {
    let page = account
        .request(Method::GET, link.path())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK, "invitation page");
    let html = page.text().await.unwrap();
    assert!(html.contains("You are logged in as"), "{html}");
    let csrf = csrf_field(&html);
    account
        .request(Method::POST, &format!("{}/accept", link.path()))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
}

/// Logs in through the login form; the response is returned for tests of it.
pub async fn login_form(base: &Url, username: &str, password: &str) -> reqwest::Response {
    login_form_from(base, None, None, username, password).await
}

/// [`login_form`] from the connecting address `local` (a loopback address),
/// with an `X-Forwarded-For` of `forwarded` if given.
pub async fn login_form_from(
    base: &Url,
    local: Option<&str>,
    forwarded: Option<&str>,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let client = match local {
        Some(local) => crate::helpers::test_client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(local.parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap(),
        None => browser(),
    };
    let page = client
        .get(base.join("/login").unwrap())
        .send()
        .await
        .unwrap();
    let form_cookie = set_cookie(&page, "uh_form").expect("a form cookie");
    let csrf = csrf_field(&page.text().await.unwrap());
    let mut post = client
        .post(base.join("/login").unwrap())
        .header("cookie", format!("uh_form={form_cookie}"));
    if let Some(forwarded) = forwarded {
        post = post.header("x-forwarded-for", forwarded);
    }
    post.form(&[
        ("csrf", csrf.as_str()),
        ("username", username),
        ("password", password),
    ])
    .send()
    .await
    .unwrap()
}

/// The account behind a session cookie, with its CSRF token from /api/v1/me.
pub async fn account_from_cookie(base: &Url, cookie: String) -> Account {
    let client = browser();
    let me: Value = client
        .get(base.join("/api/v1/me").unwrap())
        .header("cookie", format!("uh_session={cookie}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Account {
        base: base.clone(),
        csrf: me["csrf_token"].as_str().expect("a csrf token").to_owned(),
        cookie,
        client,
    }
}

/// Invites `username` into `group` with `role`, signs up through the form and
/// returns the logged-in account.
pub async fn join(instance: &TestInstance, group: &str, role: Role, username: &str) -> Account {
    let link = invite_link(instance, group, role).await;
    let response = accept(&link, username, PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "sign-up redirects"
    );
    let cookie = set_cookie(&response, "uh_session").expect("a session cookie");
    account_from_cookie(&instance.url, cookie).await
}

/// Like [`join`], for someone who also runs the instance: made an instance
/// admin as the operator does, at the command line.
pub async fn join_instance_admin(
    instance: &TestInstance,
    group: &str,
    role: Role,
    username: &str,
) -> Account {
    let account = join(instance, group, role, username).await;
    instance
        .members
        .set_instance_admin(username, true)
        .await
        .unwrap();
    account
}

/// A member record with a marker in every field, so that a leak of any field is
/// found by searching for the marker; `phone` is a unique run of digits.
pub fn marked_record(marker: &str, phone: &str) -> Value {
    serde_json::json!({
        "name": format!("Name{marker}"),
        "phone": phone,
        "email": format!("mail{marker}@example.org"),
        "workplace": format!("Workplace{marker}"),
        "department": format!("Dept{marker}"),
        "shift": format!("Shift{marker}"),
        "job_title": format!("Job{marker}"),
        "committee": format!("Committee{marker}"),
        "organizing_role": format!("Role{marker}"),
        "assessment": 2,
        "dues": "paid",
        "tags": [format!("tag{marker}")],
        "notes": format!("Notes{marker}"),
    })
}

/// Runs one statement on an instance's database directly, as time or an
/// attacker with the file would; the database's error message if it refuses.
pub async fn raw_sql(instance: &TestInstance, sql: &str) -> Result<(), String> {
    use sqlx::{Connection, Executor};
    let url = &instance.db.url;
    let result = if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        conn.execute(sql).await.map(|_| ())
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        conn.execute(sql).await.map(|_| ())
    };
    result.map_err(|err| err.to_string())
}
