//! Upgrades: a database at the previous release's schema (migrations 1 to 12), holding
//! a chapter, its follower, a sealed member record and a delivery still
//! pending, is opened by this version: it migrates, every record is there, the
//! member record opens, and the pending delivery goes out, once.

use crate::federation::{create_chapter, wait_for_posts};
use crate::helpers::{
    fresh_database, host_name, open_store, spawn_instance_behind, spawn_instance_on, test_settings,
    TestDb,
};
use serde_json::{json, Value};
use unionhall_domain::{ActorKind, Role};
use unionhall_members::{Group, Principal, TokenScope, Via};
use unionhall_store::{actors, deliveries, follows, Backend};

/// The last migration of the previous release.
const PREVIOUS_RELEASE: i64 = 20261126000012;

/// What the migrations after PREVIOUS_RELEASE added, taken out again. The
/// previous release's data is written by this version's code on the whole
/// schema (its code reads and writes the new columns), then the schema and the
/// migrations' record are taken back to the previous release's, so that this
/// version's migrations meet it as they would a database of that release.
const UNDO_LATER_MIGRATIONS: &[&str] = &[
    // 20261204000013_assertion_keys
    "ALTER TABLE actors DROP COLUMN assertion_key_id",
    "ALTER TABLE actors DROP COLUMN assertion_public_key",
    "ALTER TABLE actors DROP COLUMN assertion_private_key",
    // 20261204000014_token_expiry
    "ALTER TABLE api_tokens DROP COLUMN expires_at",
    // 20261204000015_login_failure_source
    "ALTER TABLE login_failures DROP COLUMN source",
    // 20261204000016_calendar_keys
    "DROP TABLE calendar_keys",
    // 20261204000017_instance_admins
    "DROP TABLE instance_admins",
    // 20261204000018_account_resets
    "DROP TABLE account_resets",
    // 20261204000019_account_links
    "DROP TABLE account_links",
    // 20261204000020_actor_keys
    "DROP TABLE actor_keys",
    // 20261204000021_deliveries_by_host
    "DROP INDEX deliveries_pending_by_host",
    // 20261205000022_delivery_claims
    "ALTER TABLE deliveries DROP COLUMN claimed_by",
    // 20261205000023_retention_indexes
    "DROP INDEX deliveries_delivered",
    "DROP INDEX deliveries_dead",
    "DROP INDEX inbox_seen_received",
    // 20261205000024_flood_counts
    "DROP TABLE flood_counts",
    // 20261205000025_time_zones
    "DROP TABLE group_time_zones",
    "ALTER TABLE accounts DROP COLUMN time_zone",
    // 20261206000026_reach
    "DROP TABLE interactions",
    "DROP TABLE peer_signatures",
    // 20261207000027_groups
    "DROP TABLE peer_software",
    "DROP TABLE replies",
    // 20261207000028_mail
    "DROP TABLE account_emails",
    "DROP TABLE mail_queue",
    // 20261207000029_reminders
    "DROP TABLE mail_reminders",
    "DROP TABLE mail_preferences",
    "DROP TABLE unsubscribe_links",
    "DROP TABLE mail_call_states",
    "DROP TABLE mail_pledges_told",
    "DROP TABLE mail_news",
    "DROP TABLE mail_action_reminders",
    "DROP TABLE group_reminder_hours",
    // 20261207000030_address_lookup: its column and index went with
    // account_emails above.
    // 20261207000031_languages
    "ALTER TABLE accounts DROP COLUMN language",
    // 20261207000032_mail_asked_by: its column and index went with
    // mail_queue above.
    // 20261207000033_digest_hour: went with mail_preferences above.
    // 20261207000034_calls_by_status
    "DROP INDEX calls_status",
    "DROP INDEX calls_published",
    "DROP INDEX strikes_published",
    "DROP INDEX strikes_status",
    "DROP INDEX actions_status",
    // 20261207000035_pages_of_calls
    "DROP INDEX calls_status_published",
    "DROP INDEX actions_author",
    "DROP INDEX campaigns_author",
    // 20261207000036_calls_over_at
    "DROP INDEX calls_open_until",
    "ALTER TABLE calls DROP COLUMN over_at",
    // 20261207000037_audit_pages
    "DROP INDEX audit_log_by_number",
    "DROP INDEX audit_log_by_subject",
    // 20261207000038_pages_of_actions
    "DROP INDEX actions_published",
    "DROP INDEX campaigns_published",
    // 20261207000039_outbox_by_age
    "DROP INDEX outbox_by_age",
];

/// Takes `db` back to the previous release's schema (see UNDO_LATER_MIGRATIONS).
async fn downgrade_to_previous_release(db: &TestDb) {
    let backend = Backend::from_url(&db.url).unwrap();
    let later = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/sqlite"),
    )
    .unwrap()
    .filter(|e| {
        let name = e
            .as_ref()
            .unwrap()
            .file_name()
            .to_string_lossy()
            .into_owned();
        name[..14].parse::<i64>().unwrap() > PREVIOUS_RELEASE
    })
    .count();
    assert_eq!(
        later, 27,
        "a new migration needs its undo in UNDO_LATER_MIGRATIONS"
    );
    sqlx::any::install_default_drivers();
    let url = match backend {
        Backend::Sqlite => format!("{}?mode=rwc", db.url),
        Backend::Postgres => db.url.clone(),
    };
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    for statement in UNDO_LATER_MIGRATIONS {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version > $1")
        .bind(PREVIOUS_RELEASE)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

fn admin_of(group: &Group) -> Principal {
    Principal {
        account_id: 0,
        username: "upgrade-test".into(),
        member_id: None,
        roles: vec![(group.ap_id.clone(), Role::Admin)],
        instance_admin: false,
        via: Via::Token {
            id: 0,
            scope: TokenScope::Write,
        },
    }
}

#[tokio::test]
async fn a_database_of_the_previous_release_upgrades_with_nothing_lost() {
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&b, "millers").await;
    let db = fresh_database().await;

    // The address the upgraded instance will serve on, known in advance: ids
    // embed it.
    let listener = std::net::TcpListener::bind(("127.0.0.2", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let public_url = format!("http://{}:{port}", host_name([127, 0, 0, 2].into()));

    // The previous release's data, written through the store and services.
    let store = open_store(&db).await;
    store.migrate().await.unwrap();
    let mut settings = test_settings(&db, &public_url, &[]);
    settings.federation.hosts = vec![(host_name([127, 0, 0, 3].into()), [127, 0, 0, 3].into())]
        .into_iter()
        .collect();
    let keyring = std::sync::Arc::new(
        unionhall_members::keys::load_keyring(&settings.member_keys()).unwrap(),
    );
    let config =
        unionhall_federation::configure(store.clone(), settings.federation(), keyring.clone())
            .await
            .unwrap();
    let data = config.to_request_data();
    let bakers = unionhall_federation::actors::create_group(
        &data,
        unionhall_federation::actors::NewGroup {
            kind: ActorKind::Chapter,
            handle: unionhall_domain::Handle::parse("bakers").unwrap(),
            name: "Bakers".into(),
            summary: String::new(),
            manually_approves_followers: false,
        },
    )
    .await
    .unwrap();
    // B's instance follows bakers (both sides know it).
    let mut b_instance = actors::instance_actor(&b.store).await.unwrap().unwrap();
    b_instance.is_local = false;
    b_instance.private_key_pem = None;
    actors::upsert_remote(&store, &b_instance).await.unwrap();
    let follow_id = b.data.urls.new_activity_id();
    let mut tx = store.begin_write().await.unwrap();
    follows::upsert_follower(&mut tx, &bakers.ap_id, &b_instance.ap_id, &follow_id, true)
        .await
        .unwrap();
    unionhall_store::commit(tx).await.unwrap();
    let mut bakers_seen_by_b = bakers.clone();
    bakers_seen_by_b.is_local = false;
    bakers_seen_by_b.private_key_pem = None;
    actors::upsert_remote(&b.store, &bakers_seen_by_b)
        .await
        .unwrap();
    let mut tx = b.store.begin_write().await.unwrap();
    follows::insert_following(&mut tx, &bakers.ap_id, &b_instance.ap_id, &follow_id)
        .await
        .unwrap();
    // A follow accepted with no backfill due.
    sqlx::query("UPDATE following SET accepted_at = $1 WHERE target = $2")
        .bind(unionhall_store::now_millis())
        .bind(bakers.ap_id.as_str())
        .execute(&mut *tx)
        .await
        .unwrap();
    unionhall_store::commit(tx).await.unwrap();
    // A sealed member record, and a post whose delivery is still pending (no
    // delivery worker runs yet).
    // (Built without `open_members`: its key check now reads the tables of
    // later migrations, which this database does not have yet.)
    let members = unionhall_members::Members::new(
        store.clone(),
        unionhall_members::keys::load_keyring(&settings.member_keys()).unwrap(),
        settings.member_policy(),
    );
    // The previous release kept our actors' private keys in plain text.
    let mut plain_keys = Vec::new();
    for actor in [
        actors::instance_actor(&store).await.unwrap().unwrap(),
        actors::by_ap_id(&store, &bakers.ap_id)
            .await
            .unwrap()
            .unwrap(),
    ] {
        plain_keys.push(data.vault.open(&actor).unwrap());
    }
    let group = members.chapter("bakers").await.unwrap();
    let record: unionhall_domain::MemberRecord = serde_json::from_value(
        serde_json::json!({"name": "Rosa Upgrade", "phone": "555 0199", "notes": "kept"}),
    )
    .unwrap();
    let rosa = members
        .create(&admin_of(&group), &group, record)
        .await
        .unwrap();
    unionhall_federation::activities::post::publish_note(&data, "bakers", "Written before")
        .await
        .unwrap();
    assert_eq!(deliveries::stats(&store).await.unwrap().pending, 1);
    store.close().await;
    downgrade_to_previous_release(&db).await;
    // An account the previous release linked to Rosa's record in plain text.
    {
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
        sqlx::query(
            "INSERT INTO accounts (username, password_hash, member_id, created_at) \
             VALUES ('rosa', $1, $2, 0)",
        )
        .bind(unionhall_members::crypto::password::hash(OLD_PASSWORD).unwrap())
        .bind(rosa.id)
        .execute(&mut conn)
        .await
        .unwrap();
        // Calls a server elsewhere sent and never closed: one over, one
        // over a day after its start, one coming, one with no time.
        let now = unionhall_store::now_millis();
        let week = 7 * 24 * 3_600_000;
        for (n, record) in [
            json!({"kind": "picket", "title": "Over", "starts_at": 1_000, "ends_at": 2_000}),
            json!({"kind": "picket", "title": "Started long ago", "starts_at": now - week}),
            json!({"kind": "turnout", "title": "Coming", "ends_at": now - week, "deadline": now + week}),
            json!({"kind": "boycott", "title": "Timeless"}),
        ]
        .into_iter()
        .enumerate()
        {
            sqlx::query(
                "INSERT INTO calls (ap_id, author, record, status, audience, is_local, \
                 published_at, updated_at) VALUES ($1, $2, $3, 'open', 'public', 0, $4, $4)",
            )
            .bind(format!("{}/calls/{n}", b_instance.ap_id))
            .bind(b_instance.ap_id.as_str())
            .bind(record.to_string())
            .bind(n as i64)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        for actor in &plain_keys {
            sqlx::query("UPDATE actors SET private_key_pem = $1 WHERE ap_id = $2")
                .bind(actor.private_key_pem.clone())
                .bind(actor.ap_id.as_str())
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }

    // This version opens it: migrates, and carries on.
    let a = spawn_instance_behind(listener, db, public_url).await;
    wait_for_posts(&b, &bakers.ap_id, 1).await;
    // B has the post a moment before A has recorded the delivery.
    crate::helpers::wait_for("the delivery recorded", 10, || async {
        deliveries::stats(&a.store).await.unwrap().delivered == 1
    })
    .await;
    let stats = deliveries::stats(&a.store).await.unwrap();
    assert_eq!((stats.pending, stats.delivered), (0, 1), "{stats:?}");
    let group = a.members.chapter("bakers").await.unwrap();
    let file = a
        .members
        .get(&admin_of(&group), &group, rosa.id)
        .await
        .unwrap();
    assert_eq!(file.member.record.name, "Rosa Upgrade");
    assert_eq!(file.member.record.notes, "kept");
    let followers = follows::followers_of(&a.store, &bakers.ap_id)
        .await
        .unwrap();
    assert_eq!(followers.len(), 1);
    assert!(
        a.store.readiness().await.unwrap().is_ready(),
        "fully migrated"
    );
    // The key of the previous release is sealed at start-up, and is the same
    // key (B verified the delivery above with the one it knew); the Ed25519
    // key of integrity proofs, which that release did not have, is made.
    let bakers = actors::by_ap_id(&a.store, &bakers.ap_id)
        .await
        .unwrap()
        .unwrap();
    assert!(bakers.private_key_pem.is_none() && bakers.assertion_private_key.is_none());
    let opened = a.data.vault.open(&bakers).unwrap();
    assert_eq!(opened.private_key_pem, plain_keys[1].private_key_pem);
    assert!(opened.assertion_private_key.is_some() && opened.assertion_public_key.is_some());
    // The plain link is sealed at start-up, and still leads to the record.
    let session = a
        .members
        .login("rosa", OLD_PASSWORD, None, None)
        .await
        .unwrap();
    let me = a
        .members
        .authenticate_session(&session.secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(me.member_id, Some(rosa.id));
    let plain: i64 = {
        use sqlx::{Connection, Row};
        let mut conn = sqlx::AnyConnection::connect(&a.db.url).await.unwrap();
        sqlx::query("SELECT COUNT(*) FROM accounts WHERE member_id IS NOT NULL")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get(0)
    };
    assert_eq!(plain, 0, "no plain link is left");
    // Each call knows when its time is over: only those whose time is not
    // are open on boards.
    let open: Vec<String> = unionhall_store::calls::open(&a.store, unionhall_store::now_millis())
        .await
        .unwrap()
        .iter()
        .map(|row| serde_json::from_str::<Value>(&row.record).unwrap()["title"].to_string())
        .collect();
    assert_eq!(open, ["\"Timeless\"", "\"Coming\""]);
}

const OLD_PASSWORD: &str = "a password from before";
