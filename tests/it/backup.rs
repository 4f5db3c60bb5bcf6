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

/// An age key pair made with `age-keygen` for these tests, and a second one
/// the backups are not made for.
const AGE_PUBLIC: &str = "age1p444ulwslnm4urmatv758383mr3zpjs6rgs8zthekh0x77dl54qqmu9jgx";
const AGE_IDENTITY: &str = "# a test key, of no use elsewhere\n\
    AGE-SECRET-KEY-1DKDDH029UL8PCPW26LLG7PHDX4F8GWF9Q07LFH8XA7Z6L99G2FASQ73ZDJ\n";
const OTHER_IDENTITY: &str =
    "AGE-SECRET-KEY-152LH0Y7AMS65JA6X8KPCVX8GDH5FQSFP3JSY5J648X3VTAZZ07TQLMVVMF\n";

/// The `age` command, if this machine has it. CI installs it and sets
/// UNIONHALL_TEST_AGE, which makes its absence a failure.
fn age_command() -> Option<std::process::Command> {
    let found = std::process::Command::new("age")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("UNIONHALL_TEST_AGE").is_none(),
            "UNIONHALL_TEST_AGE is set but `age` is not installed"
        );
        eprintln!("`age` is not installed: the interop half of this test is skipped");
    }
    found.then(|| std::process::Command::new("age"))
}

#[tokio::test]
async fn an_encrypted_backup_opens_only_with_its_identity_and_with_age() {
    let a = spawn_instance().await;
    create_chapter(&a, "bakers").await;
    let organizer = join(&a, "bakers", Role::Organizer, "olga").await;
    let (status, _) = organizer
        .post(
            "/api/v1/chapters/bakers/members",
            marked_record("Encrypted", "5550123"),
        )
        .await;
    assert_eq!(status, 201);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key.txt"), AGE_IDENTITY).unwrap();
    std::fs::write(dir.path().join("other.txt"), OTHER_IDENTITY).unwrap();
    let file = dir.path().join("unionhall.backup.age");
    let mut backup = unionhall(dir.path());
    backup
        .env("UNIONHALL_DATABASE__URL", &a.db.url)
        .env("UNIONHALL_LOG__LEVEL", "error")
        .args(["backup", "--recipient", AGE_PUBLIC])
        .arg(&file);
    let (output, stderr) = run_beside_servers(backup).await;
    assert!(output.status.success(), "{stderr}");
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n-> X25519 "));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the backup is {mode:o}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 3, "the plain copy is removed: {left:?}");

    let target = fresh_database().await;
    let restore = |identity: Option<&str>| {
        let mut command = unionhall(dir.path());
        command
            .env("UNIONHALL_DATABASE__URL", &target.url)
            .env("UNIONHALL_LOG__LEVEL", "error")
            .arg("restore")
            .arg(&file);
        if let Some(identity) = identity {
            command.args(["--identity", identity]);
        }
        command
    };
    let (output, stderr) = run(&mut restore(None));
    assert_one_line_failure(&output, &stderr, "is encrypted");
    let (output, stderr) = run(&mut restore(Some("other.txt")));
    assert_one_line_failure(&output, &stderr, "not encrypted to that identity");
    let (output, stderr) = run(&mut restore(Some("key.txt")));
    assert!(output.status.success(), "{stderr}");
    // It names the file the operator gave, not the decrypted copy it removed.
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.starts_with(&format!("restored {} (decrypted) into", file.display())),
        "{said}"
    );
    let b = spawn_instance_on("127.0.0.1", target).await;
    let restored_as = account_from_cookie(&b.url, organizer.cookie.clone()).await;
    assert!(roster_names(&restored_as)
        .await
        .contains(&"NameEncrypted".to_owned()));

    // The age command opens what we wrote, and we open what it writes.
    let Some(mut age) = age_command() else {
        return;
    };
    let decrypted = age
        .args(["--decrypt", "--identity"])
        .arg(dir.path().join("key.txt"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(decrypted.status.success(), "{decrypted:?}");
    let plain = decrypted.stdout;
    let magic: &[u8] = if a.db.url.starts_with("sqlite") {
        b"SQLite format 3"
    } else {
        b"PGDMP"
    };
    assert!(plain.starts_with(magic), "age -d gave something else");
    let by_age = dir.path().join("by-age.backup.age");
    std::fs::write(dir.path().join("plain.backup"), &plain).unwrap();
    let encrypted = age_command()
        .unwrap()
        .args(["--encrypt", "--recipient", AGE_PUBLIC, "--output"])
        .arg(&by_age)
        .arg(dir.path().join("plain.backup"))
        .output()
        .unwrap();
    assert!(encrypted.status.success(), "{encrypted:?}");
    let again = fresh_database().await;
    let (output, stderr) = run(unionhall(dir.path())
        .env("UNIONHALL_DATABASE__URL", &again.url)
        .env("UNIONHALL_LOG__LEVEL", "error")
        .arg("restore")
        .arg(&by_age)
        .args(["--identity", "key.txt"]));
    assert!(output.status.success(), "{stderr}");
}
