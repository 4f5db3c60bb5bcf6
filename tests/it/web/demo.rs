//! `unionhall demo` as a newcomer runs it: three instances start, seeded through
//! the real federation path, and what it prints works: the logins, and pages
//! that show the network working.

use super::member_page;
use crate::cli::{unionhall, KillOnDrop};
use crate::helpers::wait_for;
use crate::members::{account_from_cookie, login_form, set_cookie, Account};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;
use url::Url;

const PASSWORD: &str = "solidarity-forever";

#[tokio::test]
async fn the_demo_starts_a_seeded_network_and_its_logins_work() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let mut cmd = unionhall(dir.path());
    cmd.args(["demo", "--port", "0", "--dir"])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut demo = KillOnDrop(cmd.spawn().expect("start the demo"));
    let stdout = demo.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut printed = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap_or_default();
            let ready = line == "Demo ready.";
            printed.push(line);
            if ready {
                let _ = tx.send(printed.clone());
            }
        }
    });
    let printed = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(120)))
        .await
        .unwrap()
        .expect("the demo said it is ready");
    // Each instance's address, as printed (`http://a.localhost:PORT/`), reached
    // here at 127.0.0.1, where the browser's *.localhost goes too.
    let mut urls = Vec::new();
    for letter in ["a", "b", "c"] {
        let prefix = format!("  http://{letter}.localhost:");
        let line = printed
            .iter()
            .find(|l| l.starts_with(&prefix) && !l.contains("/login"))
            .unwrap_or_else(|| panic!("no address of {letter}: {printed:?}"));
        let printed_url: Url = line.split_whitespace().next().unwrap().parse().unwrap();
        let port = printed_url.port().unwrap();
        urls.push(Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap());
    }
    assert!(printed.iter().any(|l| l.contains(PASSWORD)));
    let (a, b) = (&urls[0], &urls[1]);

    // Ada's board on A: the call, with pledges from two other instances.
    let ada = log_in(a, "ada").await;
    wait_for("both pledges counted on A", 20, || async {
        member_page(&ada, "/").await.1.contains("2 of 40 people")
    })
    .await;
    // ... and the campaign she follows on C, with its latest update.
    wait_for("the campaign's update on A", 20, || async {
        member_page(&ada, "/")
            .await
            .1
            .contains("Management agreed to meet on Monday.")
    })
    .await;
    // The body's officer sees the action answered from A and B.
    let ophelia = log_in(a, "ophelia").await;
    wait_for("the tally on A", 20, || async {
        member_page(&ophelia, "/unions/foodunion")
            .await
            .1
            .contains("2 chapters in, 65 people; 0 declined")
    })
    .await;
    // The roster the organizer keeps, made up for the demo.
    let olga = log_in(a, "olga").await;
    let (status, roster) = member_page(&olga, "/chapters/bakers/roster").await;
    assert_eq!(status, 200);
    assert!(roster.contains("1–8 of 8 shown"), "{roster}");
    let (status, chart) = member_page(&olga, "/chapters/bakers/chart").await;
    assert_eq!(status, 200);
    assert!(
        chart.contains("Ovens") && chart.contains("Wear the button on Thursday"),
        "{chart}"
    );
    // The strike on B, as anyone sees it.
    let bodil = log_in(b, "bodil").await;
    let (_, page) = member_page(&bodil, "/actors/millers").await;
    assert!(page.contains("On strike") && page.contains("Gate 2, 40 River Road"));
    log_in(&urls[2], "dan").await;

    // Stopped, and started again on the same folder: refused, in one line.
    drop(demo);
    let mut again = unionhall(dir.path());
    again.args(["demo", "--port", "0", "--dir"]).arg(&data);
    let (output, stderr) = crate::cli::run_beside_servers(again).await;
    crate::cli::assert_one_line_failure(&output, &stderr, "holds a demo already");
}

async fn log_in(base: &Url, username: &str) -> Account {
    let response = login_form(base, username, PASSWORD).await;
    assert_eq!(response.status().as_u16(), 303, "{username} logs in");
    let cookie = set_cookie(&response, "uh_session").expect("a session");
    account_from_cookie(base, cookie).await
}
