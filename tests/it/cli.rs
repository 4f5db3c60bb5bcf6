//! The `unionhall` binary run as an admin would run it.

use crate::helpers::fresh_database;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub(crate) fn unionhall(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_unionhall"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::null());
    cmd
}

/// Starts the server with `-c config` in `dir` and `env`, once it has said
/// where it serves; its further output is drained. Killed when dropped.
fn serve_with(dir: &std::path::Path, config: &str, env: &[(&str, String)]) -> KillOnDrop {
    let mut cmd = unionhall(dir);
    cmd.args(["-c", config])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = KillOnDrop(cmd.spawn().unwrap());
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    assert!(lines
        .next()
        .unwrap()
        .unwrap()
        .starts_with("Unionhall serving"));
    std::thread::spawn(move || for _ in lines {});
    child
}

pub(crate) fn run(cmd: &mut Command) -> (Output, String) {
    let output = cmd.output().expect("run unionhall");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stderr)
}

/// [`run`] beside servers of this test process. Waiting for the command on
/// the test's one runtime thread would freeze those servers, possibly in the
/// middle of a write transaction, and the command would then wait out
/// SQLite's busy timeout ("database is locked").
pub(crate) async fn run_beside_servers(mut cmd: Command) -> (Output, String) {
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .expect("run unionhall")
}

/// A failed command says what is wrong in one line, and no panic or backtrace.
pub(crate) fn assert_one_line_failure(output: &Output, stderr: &str, expected: &str) {
    assert!(!output.status.success(), "should fail: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected, got: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains(expected),
        "{stderr:?} should mention {expected:?}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn check_config_prints_the_settings_in_effect_with_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("uh.toml"),
        "[instance]\nname = \"Bakers Local 12\"\n",
    )
    .unwrap();
    let (output, stderr) = run(unionhall(dir.path())
        .args(["--config", "uh.toml", "check-config"])
        .env(
            "UNIONHALL_DATABASE__URL",
            "postgres://uh:hunter2@db.example/uh",
        )
        .env("UNIONHALL_EMAIL__SERVER", "smtp.example.org")
        .env("UNIONHALL_EMAIL__FROM", "Bakers <uh@bakers.example>")
        .env("UNIONHALL_EMAIL__PASSWORD", "smtp-hunter3"));
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Bakers Local 12"), "{stdout}");
    assert!(
        stdout.contains("postgres://uh:***@db.example/uh"),
        "{stdout}"
    );
    assert!(!stdout.contains("hunter2"), "{stdout}");
    assert!(stdout.contains("smtp.example.org"), "{stdout}");
    assert!(!stdout.contains("smtp-hunter3"), "{stdout}");
}

#[test]
fn an_email_section_mail_cannot_be_sent_with_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (output, stderr) = run(unionhall(dir.path())
        .arg("check-config")
        .env("UNIONHALL_EMAIL__SERVER", "smtp.example.org")
        .env("UNIONHALL_EMAIL__SECURITY", "maybe"));
    assert_one_line_failure(&output, &stderr, "email.security");
    let (output, stderr) = run(unionhall(dir.path())
        .arg("check-config")
        .env("UNIONHALL_EMAIL__SERVER", "smtp.example.org"));
    assert_one_line_failure(&output, &stderr, "email.from");
}

#[test]
fn a_bad_config_value_is_named_and_stops_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let (output, stderr) = run(unionhall(dir.path())
        .arg("serve")
        .env("UNIONHALL_HTTP__LISTEN", "everywhere"));
    assert_one_line_failure(&output, &stderr, "http.listen");
    std::fs::write(
        dir.path().join("bad.toml"),
        "[database]\nmax_conections = 3\n",
    )
    .unwrap();
    let (output, stderr) = run(unionhall(dir.path()).args(["-c", "bad.toml", "migrate"]));
    assert_one_line_failure(
        &output,
        &stderr,
        "unknown setting `database.max_conections`",
    );
    let (output, stderr) = run(unionhall(dir.path())
        .arg("check-config")
        .env("UNIONHALL_RETENTION__OUTBOX_DAYS", "30"));
    assert_one_line_failure(&output, &stderr, "retention.outbox_days");
    let (output, stderr) = run(unionhall(dir.path()).args(["-c", "missing.toml", "serve"]));
    assert_one_line_failure(&output, &stderr, "cannot read config file missing.toml");
    assert!(!dir.path().join("data").exists(), "nothing was created");
}

#[test]
fn migrate_says_what_it_applied() {
    let dir = tempfile::tempdir().unwrap();
    let (output, stderr) = run(unionhall(dir.path()).arg("migrate"));
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("applied 39 migration(s)"), "{stdout}");
    let (output, _) = run(unionhall(dir.path()).arg("migrate"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("was up to date: no migration applied"),
        "{stdout}"
    );
}

/// `unionhall check-config | head -1`: the reader is gone before the command
/// writes; it stops quietly, with no panic.
#[test]
fn a_closed_pipe_stops_a_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = unionhall(dir.path())
        .arg("check-config")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(141), "{stderr}");
}

#[test]
fn a_bad_or_unreachable_database_is_named_and_stops_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let (output, stderr) = run(unionhall(dir.path())
        .arg("migrate")
        .env("UNIONHALL_DATABASE__URL", "mysql://root@localhost/uh"));
    assert_one_line_failure(&output, &stderr, "database.url");
    // Port 1 on loopback: nothing listens there.
    let (output, stderr) = run(unionhall(dir.path())
        .arg("serve")
        .env(
            "UNIONHALL_DATABASE__URL",
            "postgres://uh:hunter2@127.0.0.1:1/uh",
        )
        .env("UNIONHALL_DATABASE__CONNECT_TIMEOUT_SECONDS", "1"));
    assert_one_line_failure(
        &output,
        &stderr,
        "could not open the database postgres://uh:***@127.0.0.1:1/uh",
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn a_busy_port_is_named_and_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (output, stderr) = run(unionhall(dir.path())
        .arg("serve")
        .env("UNIONHALL_HTTP__LISTEN", &addr));
    assert_one_line_failure(&output, &stderr, "already in use");
    assert!(stderr.contains(&addr), "{stderr}");
}

/// Starts `unionhall` (no subcommand: it serves) and waits for the line that says
/// where it listens.
pub(crate) fn start_server(dir: &std::path::Path, db_url: Option<&str>) -> (Child, String) {
    let mut cmd = unionhall(dir);
    cmd.env("UNIONHALL_HTTP__LISTEN", "127.0.0.1:0")
        .env("UNIONHALL_LOG__LEVEL", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(url) = db_url {
        cmd.env("UNIONHALL_DATABASE__URL", url);
    }
    let mut child = cmd.spawn().expect("start unionhall");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(line)) = lines.next() {
            let _ = tx.send(line);
        }
        // Keep draining so the server never blocks on a full pipe.
        for _ in lines {}
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("server announced itself");
    let addr = line
        .split("listening on http://")
        .nth(1)
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, addr)
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    for _ in 0..200 {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("unionhall did not stop within 10 s of SIGTERM");
}

#[tokio::test]
async fn serves_with_no_setup_and_restarts_on_the_same_database() {
    let dir = tempfile::tempdir().unwrap();
    // With UNIONHALL_TEST_POSTGRES_URL the server runs on PostgreSQL; otherwise on
    // the default SQLite file under ./data, created on first start.
    let db = match crate::helpers::postgres_server() {
        Some(_) => Some(fresh_database().await),
        None => None,
    };
    let db_url = db.as_ref().map(|db| db.url.as_str());
    let client = reqwest::Client::new();
    let mut created = Vec::new();
    for _ in 0..2 {
        let (child, addr) = start_server(dir.path(), db_url);
        let mut child = KillOnDrop(child);
        let ready = client
            .get(format!("http://{addr}/readyz"))
            .send()
            .await
            .unwrap();
        assert_eq!(ready.status(), 200);
        if db_url.is_none() {
            assert!(dir.path().join("data/unionhall.db").is_file());
        }
        let status = terminate(&mut child.0);
        assert!(status.success(), "graceful stop exits 0, got {status}");
        let store = crate::helpers::open_store(&crate::helpers::TestDb::at(
            db_url.map(str::to_owned).unwrap_or_else(|| {
                format!(
                    "sqlite://{}",
                    dir.path().join("data/unionhall.db").display()
                )
            }),
        ))
        .await;
        created.push(
            unionhall_store::instance::get(&store, unionhall_store::instance::CREATED_AT)
                .await
                .unwrap(),
        );
        store.close().await;
    }
    assert!(created[0].is_some());
    assert_eq!(
        created[0], created[1],
        "the second start reused the database"
    );
}

/// A free port on `ip` (bound and released: the server binds it right after).
fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The README's two-instance walk-through, with the shipped config files.
#[tokio::test]
async fn two_instances_from_the_readme_follow_each_other_with_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let mut env = Vec::new();
    // Kept to the end: a PostgreSQL test database is dropped with its TestDb.
    let mut databases = Vec::new();
    for (name, ip) in [("a", "127.0.0.1"), ("b", "127.0.0.1")] {
        let port = free_port(ip);
        let db = match crate::helpers::postgres_server() {
            Some(_) => {
                databases.push(fresh_database().await);
                databases.last().unwrap().url.clone()
            }
            None => format!("sqlite://{}/{name}.db", dir.path().display()),
        };
        env.push(vec![
            (
                "UNIONHALL_CONFIG".to_owned(),
                format!("{repo}/config/local-{name}.toml"),
            ),
            ("UNIONHALL_HTTP__LISTEN".to_owned(), format!("{ip}:{port}")),
            (
                "UNIONHALL_INSTANCE__PUBLIC_URL".to_owned(),
                format!("http://{name}.localhost:{port}"),
            ),
            ("UNIONHALL_DATABASE__URL".to_owned(), db),
            (
                "UNIONHALL_FEDERATION__QUEUE_POLL_MS".to_owned(),
                "100".to_owned(),
            ),
            ("UNIONHALL_LOG__LEVEL".to_owned(), "warn".to_owned()),
        ]);
    }
    let cli = |which: usize, args: &[&str]| {
        let mut cmd = unionhall(dir.path());
        cmd.envs(env[which].clone()).args(args);
        let (output, stderr) = run(&mut cmd);
        assert!(output.status.success(), "{args:?}: {stderr}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let serve = |which: usize| {
        let mut cmd = unionhall(dir.path());
        cmd.envs(env[which].clone())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        assert!(first.starts_with("Unionhall serving"), "{first}");
        std::thread::spawn(move || for _ in lines {});
        child
    };
    let (a, b) = (KillOnDrop(serve(0)), KillOnDrop(serve(1)));
    let a_domain = env[0][2].1.trim_start_matches("http://").to_owned();

    let created = cli(
        0,
        &["chapter", "create", "bakers", "--name", "Bakers Local 12"],
    );
    assert!(
        created.contains(&format!("@bakers@{a_domain}")),
        "{created}"
    );
    assert!(cli(0, &["chapter", "list"]).contains("Bakers Local 12"));
    cli(1, &["federation", "follow", &format!("@bakers@{a_domain}")]);
    let mut accepted = false;
    for _ in 0..100 {
        if cli(1, &["federation", "following"]).starts_with("accepted") {
            accepted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(accepted, "B's follow was accepted by A");
    assert!(cli(0, &["chapter", "followers", "bakers"]).contains("accepted"));
    cli(
        0,
        &[
            "chapter",
            "post",
            "bakers",
            "Picket at gate 3, Saturday 6am",
        ],
    );
    let mut feed = String::new();
    for _ in 0..100 {
        feed = cli(1, &["federation", "feed"]);
        if feed.contains("Picket at gate 3") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(feed.contains("Picket at gate 3"), "B's feed: {feed}");

    // Mistakes get one line and change nothing.
    let mut bad = unionhall(dir.path());
    bad.envs(env[0].clone())
        .args(["chapter", "create", "Bad Handle", "--name", "x"]);
    let (output, stderr) = run(&mut bad);
    assert_one_line_failure(&output, &stderr, "invalid handle");
    let mut taken = unionhall(dir.path());
    taken
        .envs(env[0].clone())
        .args(["chapter", "create", "bakers", "--name", "Again"]);
    let (output, stderr) = run(&mut taken);
    assert_one_line_failure(&output, &stderr, "bakers is taken");
    let unfollow_self = format!("@bakers@{a_domain}");
    for (which, args, reason) in [
        (
            0,
            &["chapter", "post", "bakers", "   "][..],
            "the note is empty",
        ),
        (
            0,
            &["chapter", "post", "nobody", "hello"][..],
            "no chapter or body @nobody",
        ),
        (
            0,
            &["chapter", "approve", "bakers", "not a url"][..],
            "is not a URL",
        ),
        (
            1,
            &["federation", "follow", "bakers"][..],
            "neither @handle@domain, !community@domain nor a URL",
        ),
        (
            0,
            &["federation", "unfollow", &unfollow_self][..],
            "does not follow",
        ),
    ] {
        let mut cmd = unionhall(dir.path());
        cmd.envs(env[which].clone()).args(args);
        let (output, stderr) = run(&mut cmd);
        assert_one_line_failure(&output, &stderr, reason);
    }
    assert_eq!(cli(0, &["chapter", "list"]).lines().count(), 1);
    assert_eq!(
        cli(1, &["federation", "feed"]).lines().count(),
        1,
        "nothing more arrived"
    );

    for mut child in [a, b] {
        assert!(terminate(&mut child.0).success());
    }
}

/// SIGKILL, not a graceful stop: a published update is in the database before
/// `chapter post` returns, so a server killed before delivering it delivers it
/// after its restart, once.
#[tokio::test]
async fn a_killed_server_delivers_after_restart_what_was_published_before() {
    use crate::helpers::{host_name, respawn_instance_at, spawn_instance_on, wait_for};
    let dir = tempfile::tempdir().unwrap();
    let port = free_port("127.0.0.2");
    let hosts: Vec<String> = (1..=9)
        .map(|n| {
            format!(
                "\"{}\" = \"127.0.0.{n}\"",
                host_name(std::net::IpAddr::from([127, 0, 0, n]))
            )
        })
        .collect();
    // Kept to the end: a PostgreSQL test database is dropped with its TestDb.
    let database = fresh_database().await;
    let db = match crate::helpers::postgres_server() {
        Some(_) => database.url.clone(),
        None => format!("sqlite://{}/a.db", dir.path().display()),
    };
    std::fs::write(
        dir.path().join("a.toml"),
        format!(
            "[instance]\npublic_url = \"http://uh-127-0-0-2.test:{port}\"\n[http]\nlisten = \"127.0.0.2:{port}\"\n\
             [database]\nurl = \"{db}\"\n[log]\nlevel = \"warn\"\n\
             [federation]\nallow_private_peers = true\nretry_base_seconds = 1\nretry_max_seconds = 1\nqueue_poll_ms = 100\n\
             request_timeout_seconds = 2\nhosts = {{ {} }}\n",
            hosts.join(", ")
        ),
    )
    .unwrap();
    let start_a = || serve_with(dir.path(), "a.toml", &[]);
    let cli = |args: &[&str]| {
        let (output, stderr) = run(unionhall(dir.path()).args(["-c", "a.toml"]).args(args));
        assert!(output.status.success(), "{args:?}: {stderr}");
    };

    let mut a = start_a();
    cli(&["chapter", "create", "bakers", "--name", "Bakers Local 12"]);
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    let chapter =
        crate::federation::follow_and_wait_acct(&c, &format!("@bakers@uh-127-0-0-2.test:{port}"))
            .await;
    let (c_addr, c_db) = (c.addr, c.stop().await);

    cli(&["chapter", "post", "bakers", "Strike vote passed"]);
    a.0.kill().unwrap();
    a.0.wait().unwrap();

    let c = respawn_instance_at(c_addr, c_db).await;
    // Killed even if the test fails: it would go on using a dropped database.
    let a = start_a();
    let store = c.store.clone();
    // A row the killed process had claimed stays claimed until its claim runs
    // out (`claim_lease_seconds`, 9 by default), then the new process sends it.
    wait_for("the update published before the kill", 60, || {
        let (store, chapter) = (store.clone(), chapter.clone());
        async move {
            unionhall_store::posts::by_author(&store, &chapter)
                .await
                .unwrap()
                .len()
                == 1
        }
    })
    .await;
    drop(a);
    c.stop().await;
}

/// A server process that is killed when this is dropped, a failed test included.
/// A child process killed when the test ends, passed or not.
pub(crate) struct KillOnDrop(pub(crate) Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Two processes on one database, one holding a delivery to a peer that does not
/// answer: the holder's heartbeat keeps its claim past many claim leases (the
/// other process does not send it a second time), and when the holder is killed
/// the other process takes the delivery over within seconds.
#[tokio::test]
async fn a_live_process_keeps_its_claims_and_a_killed_ones_are_taken_over_in_seconds() {
    use crate::helpers::{host_name, open_store, wait_for};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database().await;
    let (port_a, port_b) = (free_port("127.0.0.2"), free_port("127.0.0.3"));
    let peer = tokio::net::TcpListener::bind("127.0.0.6:0").await.unwrap();
    let peer_addr = peer.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    // Accepts every request and never answers it, like a server that hangs.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = peer.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    std::fs::write(
        dir.path().join("a.toml"),
        format!(
            "[instance]\npublic_url = \"http://uh-127-0-0-2.test:{port_a}\"\n[http]\nlisten = \"127.0.0.2:{port_a}\"\n\
             [database]\nurl = \"{}\"\n[log]\nlevel = \"warn\"\n\
             [federation]\nallow_private_peers = true\nqueue_poll_ms = 100\nclaim_lease_seconds = 2\n\
             request_timeout_seconds = 60\nhosts = {{ \"{}\" = \"127.0.0.6\" }}\n",
            database.url,
            host_name(peer_addr.ip()),
        ),
    )
    .unwrap();
    let start =
        |listen: String| serve_with(dir.path(), "a.toml", &[("UNIONHALL_HTTP__LISTEN", listen)]);
    let cli = |args: &[&str]| {
        let (output, stderr) = run(unionhall(dir.path()).args(["-c", "a.toml"]).args(args));
        assert!(output.status.success(), "{args:?}: {stderr}");
        String::from_utf8(output.stdout).unwrap()
    };

    let mut a = start(format!("127.0.0.2:{port_a}"));
    cli(&["chapter", "create", "bakers", "--name", "Bakers Local 12"]);
    cli(&["chapter", "post", "bakers", "Picket from 6am"]);
    // One delivery of that post to the hanging peer.
    let store = open_store(&database).await;
    let chapter = unionhall_store::actors::local_by_handle(&store, "bakers")
        .await
        .unwrap()
        .unwrap();
    let inbox = format!(
        "http://{}:{}/inbox",
        host_name(peer_addr.ip()),
        peer_addr.port()
    )
    .parse()
    .unwrap();
    let mut tx = store.begin_write().await.unwrap();
    unionhall_store::outbox::resend_to(&mut tx, &chapter.ap_id, "Create", 0, 1, &inbox)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let arrived = || requests.load(Ordering::SeqCst);
    wait_for("the first process to send it", 10, || async {
        arrived() == 1
    })
    .await;

    let _b = start(format!("127.0.0.3:{port_b}"));
    // Three claim leases: without the heartbeat the claim would have run out.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(arrived(), 1, "the live holder's claim was kept");
    let status: serde_json::Value = serde_json::from_str(&cli(&["status", "--json"])).unwrap();
    let claims = status["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 1, "one process holds it: {status}");
    assert_eq!(claims[0]["deliveries"], 1);

    a.0.kill().unwrap();
    a.0.wait().unwrap();
    wait_for("the other process to take it over", 10, || async {
        arrived() == 2
    })
    .await;
    store.close().await;
}

/// Rows of every kind the server prunes, each in an old and a recent version,
/// plus pending deliveries far older than any limit, which are never pruned.
async fn seed_prunable_rows(store: &unionhall_store::Store, activity: &url::Url) {
    const DAY: i64 = 24 * 3600 * 1000;
    let now = unionhall_store::now_millis();
    let mut tx = store.begin_write().await.unwrap();
    // (inbox, delivered_at, dead_at, created_at)
    for (inbox, delivered, dead, created) in [
        ("old-delivered", Some(now - 8 * DAY), None, now - 9 * DAY),
        ("new-delivered", Some(now - DAY), None, now - DAY),
        ("old-dead", None, Some(now - 31 * DAY), now - 33 * DAY),
        ("new-dead", None, Some(now - 10 * DAY), now - 12 * DAY),
        ("old-pending", None, None, now - 40 * DAY),
    ] {
        sqlx::query(
            "INSERT INTO deliveries (activity, inbox, host, next_attempt_at, delivered_at, \
             dead_at, created_at) VALUES ($1, $2, 'peer.example', $3, $4, $5, $6)",
        )
        .bind(activity.as_str())
        .bind(format!("https://peer.example/{inbox}"))
        .bind(now + DAY)
        .bind(delivered)
        .bind(dead)
        .bind(created)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    for (id, received) in [("old-seen", now - 31 * DAY), ("new-seen", now - DAY)] {
        sqlx::query("INSERT INTO inbox_seen (ap_id, actor, received_at) VALUES ($1, $2, $3)")
            .bind(format!("https://peer.example/{id}"))
            .bind("https://peer.example/actor")
            .bind(received)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// What is left of the seeded rows: delivery inboxes and received ids, by name.
async fn seeded_rows_left(store: &unionhall_store::Store) -> Vec<String> {
    use sqlx::Row;
    let mut tx = store.begin_write().await.unwrap();
    let rows = sqlx::query(
        "SELECT inbox AS name FROM deliveries WHERE host = 'peer.example' \
         UNION ALL SELECT ap_id AS name FROM inbox_seen WHERE actor = 'https://peer.example/actor'",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let mut names: Vec<String> = rows
        .iter()
        .map(|row| {
            let name: String = row.get("name");
            name.trim_start_matches("https://peer.example/").to_owned()
        })
        .collect();
    names.sort();
    names
}

/// `unionhall prune` deletes finished rows older than the retention settings
/// and nothing pending; the running server does the same on its own.
#[tokio::test]
async fn old_finished_rows_are_pruned_by_the_command_and_by_the_server() {
    use crate::helpers::{open_store, wait_for};
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database().await;
    let port = free_port("127.0.0.2");
    std::fs::write(
        dir.path().join("a.toml"),
        format!(
            "[instance]\npublic_url = \"http://127.0.0.2:{port}\"\n[http]\nlisten = \"127.0.0.2:{port}\"\n\
             [database]\nurl = \"{}\"\n[log]\nlevel = \"warn\"\n[retention]\nevery_minutes = 1\n",
            database.url
        ),
    )
    .unwrap();
    let cli = |args: &[&str]| {
        let (output, stderr) = run(unionhall(dir.path()).args(["-c", "a.toml"]).args(args));
        assert!(output.status.success(), "{args:?}: {stderr}");
        String::from_utf8(output.stdout).unwrap()
    };
    cli(&["chapter", "create", "bakers", "--name", "Bakers Local 12"]);
    cli(&["chapter", "post", "bakers", "Strike vote passed"]);
    let store = open_store(&database).await;
    let activity: url::Url = {
        use sqlx::Row;
        let mut tx = store.begin_write().await.unwrap();
        let row = sqlx::query("SELECT ap_id FROM outbox WHERE ap_type = 'Create'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        row.get::<String, _>("ap_id").parse().unwrap()
    };
    let everything = [
        "new-dead",
        "new-delivered",
        "new-seen",
        "old-dead",
        "old-delivered",
        "old-pending",
        "old-seen",
    ];
    let kept = ["new-dead", "new-delivered", "new-seen", "old-pending"];

    seed_prunable_rows(&store, &activity).await;
    assert_eq!(seeded_rows_left(&store).await, everything);
    let printed = cli(&["prune"]);
    assert!(
        printed.starts_with("pruned 1 delivered deliveries (older than 7 days), 1 dead ones"),
        "{printed}"
    );
    assert_eq!(seeded_rows_left(&store).await, kept);

    // Again, old rows and all, with the server running instead.
    {
        let mut tx = store.begin_write().await.unwrap();
        sqlx::query("DELETE FROM deliveries WHERE host = 'peer.example'")
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("DELETE FROM inbox_seen WHERE actor = 'https://peer.example/actor'")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    seed_prunable_rows(&store, &activity).await;
    let server = serve_with(dir.path(), "a.toml", &[]);
    wait_for("the server to prune on its own", 30, || async {
        seeded_rows_left(&store).await == kept
    })
    .await;
    drop(server);
    store.close().await;
}

/// What a container's HEALTHCHECK runs: ready while the server serves, a
/// one-line failure when nothing answers.
#[tokio::test]
async fn healthcheck_says_whether_the_server_on_the_listen_address_is_ready() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port("127.0.0.2");
    std::fs::write(
        dir.path().join("a.toml"),
        format!(
            "[instance]\npublic_url = \"http://127.0.0.2:{port}\"\n[http]\nlisten = \"127.0.0.2:{port}\"\n\
             [database]\nurl = \"sqlite://{}/a.db\"\n[log]\nlevel = \"warn\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let check = || {
        let mut command = unionhall(dir.path());
        command.args(["-c", "a.toml", "healthcheck"]);
        command
    };
    let (output, stderr) = run_beside_servers(check()).await;
    assert_one_line_failure(&output, &stderr, "not ready");

    let mut server = serve_with(dir.path(), "a.toml", &[]);
    let (output, stderr) = run_beside_servers(check()).await;
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("ready: http://127.0.0.2:"));
    assert!(terminate(&mut server.0).success());
}

/// An operator setting up a chapter gives the zone its pickets are posted in;
/// one mistyped creates nothing.
#[test]
fn a_chapter_made_at_the_command_line_posts_in_the_zone_given() {
    let dir = tempfile::tempdir().unwrap();
    let create = |handle: &str, zone: Option<&str>| {
        let mut command = unionhall(dir.path());
        command.args(["chapter", "create", handle, "--name", handle]);
        if let Some(zone) = zone {
            command.args(["--time-zone", zone]);
        }
        run(&mut command)
    };
    let (output, stderr) = create("millers", None);
    assert!(output.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("posting in UTC"));
    let (output, stderr) = create("bakers", Some("Mars/Olympus_Mons"));
    assert_one_line_failure(&output, &stderr, "--time-zone \"Mars/Olympus_Mons\" is not");
    let list = || {
        let (output, stderr) = run(unionhall(dir.path()).args(["chapter", "list"]));
        assert!(output.status.success(), "{stderr}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert!(
        !list().contains("@bakers@"),
        "a chapter made with a bad zone"
    );

    let (output, stderr) = create("bakers", Some("America/New_York"));
    assert!(output.status.success(), "{stderr}");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("posting in America/New_York"), "{said}");
    let listed = list();
    assert!(
        listed.contains("@bakers@") && listed.contains("(America/New_York)"),
        "{listed}"
    );
    assert!(
        listed.contains("@millers@") && listed.contains("(UTC)"),
        "{listed}"
    );
}
