//! A stolen database reveals no member data; keys rotate without losing any.

use super::*;
use crate::cli::{assert_one_line_failure, run, unionhall};
use crate::federation::create_chapter;
use crate::helpers::{spawn_instance, TestDb, TEST_MEMBER_KEY};
use serde_json::json;

/// Everything an attacker with the database gets: the SQLite file and its WAL
/// as bytes, or every row of every table of the PostgreSQL database as text.
async fn everything_in_the_database(db: &TestDb) -> Vec<u8> {
    if let Some(path) = db.url.strip_prefix("sqlite://") {
        let mut bytes = Vec::new();
        for suffix in ["", "-wal"] {
            if let Ok(file) = std::fs::read(format!("{path}{suffix}")) {
                bytes.extend(file);
            }
        }
        assert!(bytes.len() > 10_000, "read the database file");
        bytes
    } else {
        use sqlx::{Connection, Row};
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let tables: Vec<String> = sqlx::query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
        let mut text = String::new();
        for table in tables {
            let rows = sqlx::query(&format!("SELECT t::text FROM \"{table}\" t"))
                .fetch_all(&mut conn)
                .await
                .unwrap();
            for row in rows {
                text.push_str(&row.get::<String, _>(0));
                text.push('\n');
            }
        }
        text.into_bytes()
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn the_database_holds_no_member_data_in_clear() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let sam = join(&instance, "bakers", Role::Organizer, "sam").await;
    let (status, created) = sam
        .post(
            "/api/v1/chapters/bakers/members",
            marked_record("Xq7Stolen", "+1 917 555 0142"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_i64().unwrap();
    sam.post(
        &format!("/api/v1/chapters/bakers/members/{id}/one-on-ones"),
        json!({"date": "2026-11-02", "by": "ByXq7Stolen", "issues": "IssueXq7Stolen", "next_step": "StepXq7Stolen"}),
    )
    .await;
    // The workplace chart's data is sealed too: who is linked to whom (and
    // why), who is assigned, what a structure test was and who took part.
    let (_, other) = sam
        .post(
            "/api/v1/chapters/bakers/members",
            json!({"name": "PalXq7Stolen", "committee": "organizing"}),
        )
        .await;
    let other = other["id"].as_i64().unwrap();
    let (status, _) = sam
        .post(
            "/api/v1/chapters/bakers/relationships",
            json!({"from": id, "to": other, "kind": "knows", "note": "NoteXq7Stolen"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = sam
        .call(
            Method::PUT,
            "/api/v1/chapters/bakers/assignments",
            Some(json!({"members": [id], "assignee": other})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = sam
        .post(
            "/api/v1/chapters/bakers/structure-tests",
            json!({"title": "TestXq7Stolen", "date": "2026-11-26",
                   "departments": ["DeptXq7Stolen"], "participants": [id]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // The organizer reads it back: the data is there, and readable with the key.
    let (_, file) = sam
        .get(&format!("/api/v1/chapters/bakers/members/{id}"))
        .await;
    assert_eq!(file["email"], "mailXq7Stolen@example.org");
    assert_eq!(file["one_on_ones"][0]["next_step"], "StepXq7Stolen");
    // The member joins by an invitation tied to her record, and reads it.
    let rita = join_as_record(&instance, id, "rita").await;
    let (status, own) = rita.get("/api/v1/me/record").await;
    assert_eq!(status, StatusCode::OK, "{own}");
    let private_keys = private_keys_of(&instance).await;

    let data = instance.stop().await;
    let stolen = everything_in_the_database(&data).await;
    // The account's username is not member data; the harness is searching right.
    assert!(contains(&stolen, "sam"), "the search sees the database");
    for needle in ["Xq7Stolen", "917 555 0142", "9175550142", TEST_MEMBER_KEY] {
        assert!(
            !contains(&stolen, needle),
            "{needle:?} is in the database in clear"
        );
    }
    assert_no_pairs_in_clear(&data, id, "rita").await;
    // Nor the keys that speak for the chapter and the instance.
    assert!(!contains(&stolen, "PRIVATE KEY"));
    for key in private_keys {
        assert!(
            !contains(&stolen, &key),
            "a private key is in the database in clear"
        );
    }
}

/// Pieces of the private keys of the instance's actors (each long line of the
/// RSA keys' PEM, and the Ed25519 keys), as opened for signing.
pub(crate) async fn private_keys_of(instance: &crate::helpers::TestInstance) -> Vec<String> {
    let mut keys = Vec::new();
    let actors = [
        unionhall_store::actors::instance_actor(&instance.store).await,
        unionhall_store::actors::local_by_handle(&instance.store, "bakers").await,
    ];
    for actor in actors {
        let opened = instance.data.vault.open(&actor.unwrap().unwrap()).unwrap();
        let pem = opened.private_key_pem.unwrap();
        keys.extend(pem.lines().filter(|l| l.len() > 40).map(str::to_owned));
        keys.push(opened.assertion_private_key.unwrap());
    }
    keys
}

/// `username` signs up by an invitation tied to member record `id`.
async fn join_as_record(
    instance: &crate::helpers::TestInstance,
    id: i64,
    username: &str,
) -> Account {
    let group = instance.members.chapter("bakers").await.unwrap();
    let invite = instance
        .members
        .create_invite(None, &group, Role::Member, Some(id))
        .await
        .unwrap();
    let link = instance.at(&format!("/invite/{}", invite.token));
    let response = accept(&link, username, PASSWORD).await;
    let cookie = set_cookie(&response, "uh_session").expect("signed up");
    account_from_cookie(&instance.url, cookie).await
}

/// What the database pairs in plain text: no username with a member record
/// (accounts, used invitations, the audit log of the member's own reads), and
/// no two members with each other (the audit log of the chart).
async fn assert_no_pairs_in_clear(db: &TestDb, member: i64, its_account: &str) {
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    for sql in [
        "SELECT COUNT(*) FROM accounts WHERE member_id IS NOT NULL",
        "SELECT COUNT(*) FROM invites WHERE member_id IS NOT NULL AND used_at IS NOT NULL",
    ] {
        let count: i64 = sqlx::query(sql).fetch_one(&mut conn).await.unwrap().get(0);
        assert_eq!(count, 0, "{sql}");
    }
    let entries = sqlx::query("SELECT username, action, subject, detail FROM audit_log")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(entries.len() > 5, "the audit log is read");
    for row in entries {
        let (username, action, subject, detail): (String, String, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        let line = format!("{username} {action} {subject} {detail}");
        assert!(
            line.matches("member ").count() < 2,
            "two members named together: {line}"
        );
        if username == its_account {
            assert!(
                !line.contains(&format!("member {member}")),
                "an account beside its own record: {line}"
            );
        }
    }
}

/// A failed login's address is kept only as a tag under the instance's key:
/// the same address leaves different tags on two instances with different
/// keys, so a stolen database cannot be searched for it by hashing guesses.
#[tokio::test]
async fn a_failed_logins_address_is_kept_only_under_the_key() {
    let other_key = "YW5vdGhlciB0ZXN0IGtleSAtIG5vdCBmb3IgdXNlICE=";
    let first = spawn_instance().await;
    let second = crate::helpers::spawn_configured_instance_on(
        "127.0.0.2",
        crate::helpers::fresh_database().await,
        &[("UNIONHALL_MEMBERS__KEY", other_key)],
    )
    .await;
    let mut sources = Vec::new();
    for instance in [&first, &second] {
        let refused = login_form_from(
            &instance.url,
            Some("127.0.0.9"),
            None,
            "ada",
            "a wrong guess",
        )
        .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        let sql = "SELECT source FROM login_failures";
        let source: String = crate::helpers::column_of(&instance.db, sql).await.remove(0);
        assert!(source.len() >= 32, "a tag, not {source:?}");
        assert!(!source.contains("127.0.0.9"), "{source}");
        sources.push(source);
    }
    assert_ne!(sources[0], sources[1], "the tag does not depend on the key");
}

#[tokio::test]
async fn keys_rotate_with_the_cli_and_a_missing_key_stops_the_start() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let sam = join(&instance, "bakers", Role::Organizer, "sam").await;
    let (_, created) = sam
        .post(
            "/api/v1/chapters/bakers/members",
            marked_record("Rotated", "+1 917 555 0177"),
        )
        .await;
    let id = created["id"].as_i64().unwrap();
    sam.post(
        &format!("/api/v1/chapters/bakers/members/{id}/one-on-ones"),
        json!({"date": "2026-11-02", "by": "Sam", "issues": "still readable"}),
    )
    .await;
    // A relationship, the assignments and a structure test: the chart's rows.
    let (_, other) = sam
        .post(
            "/api/v1/chapters/bakers/members",
            json!({"name": "Other", "committee": "organizing"}),
        )
        .await;
    let other = other["id"].as_i64().unwrap();
    sam.post(
        "/api/v1/chapters/bakers/relationships",
        json!({"from": id, "to": other, "kind": "knows", "note": "still linked"}),
    )
    .await;
    sam.call(
        Method::PUT,
        "/api/v1/chapters/bakers/assignments",
        Some(json!({"members": [id], "assignee": other})),
    )
    .await;
    sam.post(
        "/api/v1/chapters/bakers/structure-tests",
        json!({"title": "Button day", "date": "2026-11-26", "participants": [id]}),
    )
    .await;
    // A second-factor secret is sealed with the same key, and so is which
    // record an account is.
    assert_eq!(
        sam.post("/api/v1/me/totp", json!({})).await.0,
        StatusCode::OK
    );
    join_as_record(&instance, id, "rita").await;
    let db = instance.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let old_key = dir.path().join("old.key");
    std::fs::write(&old_key, format!("{TEST_MEMBER_KEY}\n")).unwrap();
    let cli = |vars: &[(&str, &str)]| {
        let mut cmd = unionhall(dir.path());
        cmd.env("UNIONHALL_DATABASE__URL", &db.url)
            .env("UNIONHALL_LOG__LEVEL", "error");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd
    };
    let (output, stderr) = run(cli(&[]).args(["members", "generate-key", "new.key"]));
    assert!(output.status.success(), "{stderr}");
    let (output, stderr) = run(cli(&[]).args(["members", "generate-key", "new.key"]));
    assert_one_line_failure(&output, &stderr, "new.key");

    // Without the old key the records cannot be opened: refuse, and say why.
    let (output, stderr) =
        run(cli(&[("UNIONHALL_MEMBERS__KEY_FILE", "new.key")]).args(["members", "rotate-key"]));
    assert_one_line_failure(&output, &stderr, "not configured");

    let rotate = [
        ("UNIONHALL_MEMBERS__KEY_FILE", "new.key"),
        ("UNIONHALL_MEMBERS__PREVIOUS_KEY_FILES", "old.key"),
    ];
    let (output, stderr) = run(cli(&rotate).args(["members", "rotate-key"]));
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "re-sealed 2 member record(s), 1 one-on-one(s), 1 second-factor secret(s), \
             1 account link(s), 2 actor key pair(s), 0 mail(s) and 3 chart row(s)"
        ),
        "{stdout}"
    );
    // Running it again has nothing left to do.
    let (output, _) = run(cli(&rotate).args(["members", "rotate-key"]));
    assert!(String::from_utf8_lossy(&output.stdout).contains("re-sealed 0 member"));

    // The new key alone now opens everything; the old key alone opens nothing.
    let new_key = std::fs::read_to_string(dir.path().join("new.key")).unwrap();
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut settings = crate::helpers::test_settings(&db, &url, &[]);
    settings.members.key = new_key.trim().to_owned();
    let app = unionhall::startup::Application::build_with_listener(settings, listener)
        .await
        .unwrap();
    let group = app.members().chapter("bakers").await.unwrap();
    let principal = admin_principal(&group);
    let file = app.members().get(&principal, &group, id).await.unwrap();
    assert_eq!(file.member.record.name, "NameRotated");
    assert_eq!(file.one_on_ones[0].entry.issues, "still readable");
    assert_eq!(file.relationships[0].note, "still linked");
    let chart = app.members().chart(&principal, &group, 30).await.unwrap();
    assert_eq!(chart.total.assigned, 1);
    let session = app
        .members()
        .login("rita", PASSWORD, None, None)
        .await
        .unwrap();
    let rita = app
        .members()
        .authenticate_session(&session.secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rita.member_id, Some(id), "the account link opens");
    assert_eq!(chart.tests[0].total.took_part, 1);
    drop(app);

    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let settings = crate::helpers::test_settings(&db, &url, &[]);
    let err = unionhall::startup::Application::build_with_listener(settings, listener)
        .await
        .err()
        .expect("the old key alone is refused");
    assert!(err.to_string().contains("not configured"), "{err}");
}

/// A principal with the admin role in `group`, for calling the service directly.
fn admin_principal(group: &unionhall_members::Group) -> unionhall_members::Principal {
    unionhall_members::Principal {
        account_id: 0,
        username: "test".into(),
        member_id: None,
        roles: vec![(group.ap_id.clone(), Role::Admin)],
        instance_admin: false,
        via: unionhall_members::Via::Token {
            id: 0,
            scope: unionhall_members::TokenScope::Write,
        },
    }
}

/// The member-data key at start: a missing key file is not replaced by a new
/// key over sealed data, and a process with another key than the database's
/// is refused, so two processes with different keys never both serve.
#[tokio::test]
async fn a_missing_or_different_key_stops_the_start_and_writes_no_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("member.key");
    let db = crate::helpers::fresh_database().await;
    let store = crate::helpers::open_store(&db).await;
    store.migrate().await.unwrap();
    let from_file = unionhall_members::keys::KeySettings {
        key_file: key_file.clone(),
        ..Default::default()
    };
    // First start: the key file is made, and the database remembers its key.
    let keyring = unionhall_members::keys::open_keyring(&store, &from_file)
        .await
        .unwrap();
    assert!(key_file.exists());
    let members = unionhall_members::Members::new(
        store.clone(),
        keyring,
        unionhall_members::Policy {
            session_hours: 1,
            token_days: 1,
            invite_hours: 1,
            invite_mails_per_hour: 1,
            login_max_failures: 5,
            login_window_minutes: 15,
            mail: None,
        },
    );
    drop(members);

    // Another process with a key of its own is refused.
    let other = unionhall_members::keys::KeySettings {
        key: crate::helpers::TEST_MEMBER_KEY.into(),
        ..Default::default()
    };
    let refused = unionhall_members::keys::open_keyring(&store, &other)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("same key"), "{refused}");

    // The key file lost: no new key is written over the database's data.
    std::fs::remove_file(&key_file).unwrap();
    let refused = unionhall_members::keys::open_keyring(&store, &from_file)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("is missing"), "{refused}");
    assert!(!key_file.exists(), "a new key file was written");
    store.close().await;
}

/// Two processes of a new instance started at the same moment: one key file is
/// made, whole, and both use it (neither dies on the other's file, neither
/// makes a key of its own).
#[tokio::test]
async fn two_processes_started_together_share_one_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = match crate::helpers::postgres_server() {
        Some(_) => Some(crate::helpers::fresh_database().await),
        None => None,
    };
    let starts: Vec<_> = (0..2)
        .map(|_| {
            let (dir, url) = (dir.path().to_owned(), db.as_ref().map(|d| d.url.clone()));
            std::thread::spawn(move || crate::cli::start_server(&dir, url.as_deref()))
        })
        .collect();
    let servers: Vec<_> = starts
        .into_iter()
        .map(|start| {
            let (child, addr) = start.join().expect("both processes start");
            (crate::cli::KillOnDrop(child), addr)
        })
        .collect();
    let key = std::fs::read_to_string(dir.path().join("data/member-records.key")).unwrap();
    assert_eq!(key.trim().len(), 44, "one whole key: {key:?}");
    let keys: Vec<_> = std::fs::read_dir(dir.path().join("data"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("key"))
        .collect();
    assert_eq!(
        keys.len(),
        1,
        "no second key, no staged file left: {keys:?}"
    );
    for (_, addr) in &servers {
        let ready = crate::helpers::test_client()
            .get(format!("http://{addr}/readyz"))
            .send()
            .await
            .unwrap();
        assert_eq!(ready.status(), StatusCode::OK, "{addr}");
    }
}
