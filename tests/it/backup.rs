//! Backups: `unionhall backup` while the instance serves a steady stream of
//! writes, `unionhall restore` into a fresh database, and a fresh instance on it
//! finds every record that was there, member records readable with the key and
//! the instance refusing to start without it.

use crate::cli::{assert_one_line_failure, run, run_beside_servers, unionhall};
use crate::federation::create_chapter;
use crate::helpers::{fresh_database, spawn_instance, spawn_instance_on, test_settings};
use crate::members::{account_from_cookie, join, marked_record};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use unionhall_domain::Role;

#[tokio::test]
async fn a_backup_taken_under_load_restores_every_record() {
    let a = spawn_instance().await;
    create_chapter(&a, "bakers").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;

    // A steady stream of new member records from four writers while the
    // backup runs; each write's completion time is kept.
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (organizer, stop) = (organizer.clone(), stop.clone());
            tokio::spawn(async move {
                let mut done = Vec::new();
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    let marker = format!("Backup{w}x{n}");
                    let record = marked_record(&marker, &format!("55{w}{n:07}"));
                    let (status, body) = organizer
                        .post("/api/v1/chapters/bakers/members", record)
                        .await;
                    assert_eq!(status, 201, "{body}");
                    done.push(Instant::now());
                    n += 1;
                }
                done
            })
        })
        .collect();
    while roster_names(&organizer).await.len() < 10 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("unionhall.backup");
    let before = roster_names(&organizer).await;
    let started = Instant::now();
    let mut backup = unionhall(dir.path());
    backup
        .env("UNIONHALL_DATABASE__URL", &a.db.url)
        .env("UNIONHALL_MEMBERS__KEY", crate::helpers::TEST_MEMBER_KEY)
        .env("UNIONHALL_LOG__LEVEL", "error")
        .arg("backup")
        .arg(&file);
    let (output, stderr) = run_beside_servers(backup).await;
    let finished = Instant::now();
    assert!(output.status.success(), "{stderr}");
    let after = roster_names(&organizer).await;
    stop.store(true, Ordering::SeqCst);
    let mut during = 0;
    for writer in writers {
        during += writer
            .await
            .unwrap()
            .iter()
            .filter(|t| **t > started && **t < finished)
            .count();
    }
    assert!(during > 0, "no write completed while the backup ran");
    // Only its owner may read it: it holds every chapter's keys and records.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the backup is {mode:o}");
    // The chapters' private keys are in it sealed, as in the database (a
    // SQLite backup is the database's bytes; a pg_dump file is compressed).
    if a.db.url.starts_with("sqlite") {
        let bytes = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(!bytes.contains("PRIVATE KEY"));
        for key in crate::members::at_rest::private_keys_of(&a).await {
            assert!(
                !bytes.contains(&key),
                "a private key is in the backup in clear"
            );
        }
    }

    // A second backup into the same file is refused and leaves it alone.
    let mut again = unionhall(dir.path());
    again
        .env("UNIONHALL_DATABASE__URL", &a.db.url)
        .arg("backup")
        .arg(&file);
    let (output, stderr) = run_beside_servers(again).await;
    assert_one_line_failure(&output, &stderr, "exists");

    // Restored into a fresh database, then into the same one again (refused).
    let target = fresh_database().await;
    let restore = || {
        let mut command = unionhall(dir.path());
        command
            .env("UNIONHALL_DATABASE__URL", &target.url)
            .env("UNIONHALL_LOG__LEVEL", "error")
            .arg("restore")
            .arg(&file);
        command
    };
    let (output, stderr) = run(&mut restore());
    assert!(output.status.success(), "{stderr}");
    let (output, stderr) = run(&mut restore());
    assert_one_line_failure(&output, &stderr, "restore into");

    // Without the member-data key, the restored instance does not start.
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut settings = test_settings(&target, &url, &[]);
    settings.members.key = "b3RoZXIga2V5IG9mIDMyIGJ5dGVzIC0gbm90IG91cnM=".into();
    let refused = unionhall::startup::Application::build_with_listener(settings, listener).await;
    assert!(refused.is_err(), "started with the wrong key");

    // With it, the same session reads a roster holding everything from before
    // the backup, each record whole, and nothing half-written.
    let b = spawn_instance_on("127.0.0.1", target).await;
    let restored_as = account_from_cookie(&b.url, organizer.cookie.clone()).await;
    let restored = roster_names(&restored_as).await;
    for name in &before {
        assert!(restored.contains(name), "{name} lost");
    }
    assert!(restored.len() <= after.len());
    let (status, list) = restored_as.get("/api/v1/chapters/bakers/members").await;
    assert_eq!(status, 200);
    let first = &list.as_array().unwrap()[0];
    let (status, record) = restored_as
        .get(&format!("/api/v1/chapters/bakers/members/{}", first["id"]))
        .await;
    assert_eq!(status, 200, "{record}");
    let name = record["name"].as_str().unwrap_or_default().to_owned();
    let marker = name.trim_start_matches("Name");
    assert_eq!(record["notes"], format!("Notes{marker}"));
}

async fn roster_names(account: &crate::members::Account) -> Vec<String> {
    let (status, list) = account.get("/api/v1/chapters/bakers/members").await;
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .map(|m: &Value| m["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}
