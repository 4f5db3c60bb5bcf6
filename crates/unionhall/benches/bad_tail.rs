//! Delivery with a bad tail: `cargo bench --bench bad_tail`.
//!
//! One activity to 1,000 peers (distinct hosts on loopback) of which 700 are
//! healthy, 100 dead (connection refused), 100 answer after 5 s, and 100 are
//! down for the first 60 s and then come back. Prints, for this machine and
//! this run:
//! - the time for the 700 healthy peers to be served, against the time for
//!   1,000 healthy peers (the same instance, just before): the bad tail should
//!   cost the healthy little;
//! - the time from the returning peers' coming back to their last delivery,
//!   against `federation.retry_base_seconds` (a failing peer is probed that
//!   often);
//! - the failed rounds the dead peers were charged, and the memory the run
//!   added;
//! - the signing ceiling of the same run, since machines of this kind differ.
//!
//! The peers run in a child process (this binary again, with
//! UH_BENCH_ROLE=peers). Needs about 4,000 file descriptors (`ulimit -n`).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark: any failure aborts the run

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{answer_202, instance, new_chapter, rss_kib, signing_ceiling};

const PEERS: usize = 1000;
const DEAD: usize = 100;
const SLOW: usize = 100;
const RETURNING: usize = 100;
const HEALTHY: usize = PEERS - DEAD - SLOW - RETURNING;
const SLOW_ANSWER: Duration = Duration::from_secs(5);
const DOWN_FOR: Duration = Duration::from_secs(60);
/// How long the returning peers may take after coming back before the run
/// gives up on them.
const GIVE_UP: Duration = Duration::from_secs(600);

/// The kinds of peer, each on a loopback block of its own (127.K.x.y).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// The 1,000 of the all-healthy run.
    Baseline,
    Healthy,
    Dead,
    Slow,
    Returning,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Baseline,
        Kind::Healthy,
        Kind::Dead,
        Kind::Slow,
        Kind::Returning,
    ];

    fn count(self) -> usize {
        match self {
            Kind::Baseline => PEERS,
            Kind::Healthy => HEALTHY,
            Kind::Dead => DEAD,
            Kind::Slow => SLOW,
            Kind::Returning => RETURNING,
        }
    }

    fn block(self) -> u8 {
        match self {
            Kind::Baseline => 10,
            Kind::Healthy => 11,
            Kind::Dead => 12,
            Kind::Slow => 13,
            Kind::Returning => 14,
        }
    }

    fn ip(self, n: usize) -> IpAddr {
        IpAddr::from([127, self.block(), (n / 250) as u8, (n % 250 + 1) as u8])
    }

    fn of(ip: IpAddr) -> Kind {
        let IpAddr::V4(v4) = ip else { panic!("{ip}") };
        Kind::ALL
            .into_iter()
            .find(|k| k.block() == v4.octets()[1])
            .expect("a peer's block")
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if std::env::var("UH_BENCH_ROLE").as_deref() == Ok("peers") {
        runtime.block_on(peers());
    } else {
        runtime.block_on(sender());
    }
}

/// The child process. Prints one line of every peer's `ip:port`; on the line
/// "go" from stdin, waits DOWN_FOR, brings the returning peers up on their
/// addresses and prints "back"; serves until stdin closes.
async fn peers() {
    let mut addrs = Vec::new();
    let mut returning = Vec::new();
    for kind in Kind::ALL {
        for n in 0..kind.count() {
            let listener = tokio::net::TcpListener::bind((kind.ip(n), 0))
                .await
                .expect("bind (is `ulimit -n` high enough?)");
            let addr = listener.local_addr().expect("addr");
            addrs.push(addr);
            match kind {
                Kind::Baseline | Kind::Healthy => {
                    tokio::spawn(answer_202(listener, None));
                }
                Kind::Slow => {
                    tokio::spawn(answer_202(listener, Some(SLOW_ANSWER)));
                }
                // Nothing listens there: connection refused.
                Kind::Dead => drop(listener),
                // Refused until they come back, on the same address.
                Kind::Returning => {
                    drop(listener);
                    returning.push(addr);
                }
            }
        }
    }
    let line: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    println!("{}", line.join(" "));
    let (go, mut gone) = tokio::sync::mpsc::channel::<()>(1);
    let stdin = tokio::task::spawn_blocking(move || {
        for line in std::io::stdin().lock().lines() {
            match line {
                Ok(line) if line == "go" => {
                    let _ = go.blocking_send(());
                }
                _ => return,
            }
        }
    });
    tokio::spawn(async move {
        if gone.recv().await.is_none() {
            return;
        }
        tokio::time::sleep(DOWN_FOR).await;
        for addr in &returning {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .expect("the returning peer's address");
            tokio::spawn(answer_202(listener, None));
        }
        println!("back");
        std::io::stdout().flush().expect("flush");
    });
    let _ = stdin.await;
}

/// Waits until no delivery to a peer of `kinds` is pending; the time taken.
async fn served(
    store: &unionhall_store::Store,
    kinds: &HashSet<Kind>,
    hosts: &BTreeMap<String, IpAddr>,
    limit: Duration,
) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        let pending = unionhall_store::deliveries::pending_hosts(store)
            .await
            .expect("pending");
        let waiting = pending.iter().any(|(_, host)| {
            let name = host.split(':').next().unwrap_or_default();
            hosts
                .get(name)
                .is_some_and(|ip| kinds.contains(&Kind::of(*ip)))
        });
        if !waiting {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

async fn sender() {
    let (ceiling, cores) = signing_ceiling();
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .env("UH_BENCH_ROLE", "peers")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the peers");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let addrs: Vec<SocketAddr> = lines
        .next()
        .expect("addresses")
        .expect("addresses")
        .split_whitespace()
        .map(|a| a.parse().expect("addr"))
        .collect();
    let (back_tx, back_rx) = tokio::sync::oneshot::channel::<Instant>();
    std::thread::spawn(move || {
        if let Some(Ok(line)) = lines.next() {
            assert_eq!(line, "back");
            let _ = back_tx.send(Instant::now());
        }
    });

    let dir = tempfile::tempdir().expect("temp dir");
    // Names in a mixed order: deliveries go out roughly in the order of their
    // inboxes, and the bad peers must not all come last, as they would by
    // address.
    let names: HashMap<SocketAddr, String> = addrs
        .iter()
        .enumerate()
        .map(|(n, a)| (*a, format!("p{:04}.bench", (n * 7919) % addrs.len())))
        .collect();
    let hosts: BTreeMap<String, IpAddr> =
        addrs.iter().map(|a| (names[a].clone(), a.ip())).collect();
    let (data, stop, server) =
        instance([127, 0, 0, 1], "sender.bench", dir.path(), hosts.clone()).await;
    let settings = data.settings.clone();
    let chapter = new_chapter(&data, "bench").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = rss_kib("VmRSS:");
    let inboxes = |kinds: &[Kind]| -> Vec<url::Url> {
        addrs
            .iter()
            .filter(|a| kinds.contains(&Kind::of(a.ip())))
            .map(|a| {
                format!("http://{}:{}/inbox/0", names[a], a.port())
                    .parse()
                    .expect("url")
            })
            .collect()
    };
    let queue = |inboxes: Vec<url::Url>| {
        let (data, chapter) = (data.clone(), chapter.clone());
        async move {
            let id = data.urls.new_activity_id();
            let activity = serde_json::json!({
                "type": "Create", "id": id, "actor": chapter.ap_id,
                "object": {"type": "Note", "id": format!("{id}/note"), "attributedTo": chapter.ap_id,
                           "content": "<p>Strike at 6am, picket at gate 3.</p>"}
            });
            let mut tx = data.store.begin_write().await.expect("tx");
            unionhall_federation::delivery::enqueue(
                &mut tx, &data, &chapter, &id, &activity, &inboxes, true,
            )
            .await
            .expect("enqueue");
            unionhall_store::commit(tx).await.expect("commit");
            data.wake_delivery();
        }
    };
    let store = data.store.clone();
    let set = |kinds: &[Kind]| kinds.iter().copied().collect::<HashSet<_>>();

    // All healthy: the figure to compare with.
    queue(inboxes(&[Kind::Baseline])).await;
    let all_healthy = served(&store, &set(&[Kind::Baseline]), &hosts, GIVE_UP)
        .await
        .expect("the healthy baseline");

    // The bad tail: the returning peers' minute of downtime starts now.
    let hwm_before = rss_kib("VmHWM:");
    child
        .stdin
        .as_mut()
        .expect("stdin")
        .write_all(b"go\n")
        .expect("go");
    let start = Instant::now();
    queue(inboxes(&[
        Kind::Healthy,
        Kind::Dead,
        Kind::Slow,
        Kind::Returning,
    ]))
    .await;
    let healthy = served(&store, &set(&[Kind::Healthy]), &hosts, GIVE_UP)
        .await
        .expect("the healthy peers");
    let slow = served(&store, &set(&[Kind::Slow]), &hosts, GIVE_UP).await;
    let back = back_rx.await.expect("the peers came back");
    let returning = served(&store, &set(&[Kind::Returning]), &hosts, GIVE_UP)
        .await
        .map(|_| back.elapsed());
    let peak = rss_kib("VmHWM:").saturating_sub(hwm_before.max(idle_rss));
    let health = unionhall_store::deliveries::health(&store)
        .await
        .expect("health");
    let dead_hosts: Vec<&String> = hosts
        .iter()
        .filter(|(_, ip)| Kind::of(**ip) == Kind::Dead)
        .map(|(name, _)| name)
        .collect();
    let mut rounds = Vec::new();
    for addr in addrs.iter().filter(|a| Kind::of(a.ip()) == Kind::Dead) {
        let host = format!("{}:{}", names[addr], addr.port());
        rounds.push(
            unionhall_store::peers::failed_rounds(&store, &host)
                .await
                .expect("rounds"),
        );
    }
    let run = start.elapsed();

    let _ = stop.send(());
    let _ = server.await;
    drop(child.stdin.take());
    let _ = child.wait();

    let base = settings.retry_base.as_secs_f64();
    println!("Unionhall delivery with a bad tail ({cores} cores)");
    println!(
        "  signing ceiling (aws-lc-rs, RSA-2048, {cores} threads): {ceiling:>7.0} signatures/s"
    );
    println!(
        "  {PEERS} healthy peers served:                  {:>7.2} s",
        all_healthy.as_secs_f64()
    );
    println!(
        "  {HEALTHY} healthy of {PEERS} with a bad tail served:   {:>7.2} s  ({:.2}x the all-healthy run; target 1.2x)",
        healthy.as_secs_f64(),
        healthy.as_secs_f64() / all_healthy.as_secs_f64()
    );
    match slow {
        Some(slow) => println!(
            "  {SLOW} peers answering after {} s served:     {:>7.2} s",
            SLOW_ANSWER.as_secs(),
            slow.as_secs_f64()
        ),
        None => println!("  {SLOW} slow peers: not all served within {GIVE_UP:?}"),
    }
    match returning {
        Some(returning) => println!(
            "  {RETURNING} peers down {} s, served after coming back: {:>7.2} s  ({:.2}x retry_base of {base:.0} s; target under 2x)",
            DOWN_FOR.as_secs(),
            returning.as_secs_f64(),
            returning.as_secs_f64() / base
        ),
        None => println!(
            "  {RETURNING} returning peers: not all served within {GIVE_UP:?} of coming back"
        ),
    }
    println!(
        "  {DEAD} dead peers: {} backed off, failed rounds each {}..{} after {:.0} s ({} dead-peer hosts)",
        health.backed_off.len(),
        rounds.iter().min().copied().unwrap_or(0),
        rounds.iter().max().copied().unwrap_or(0),
        run.as_secs_f64(),
        dead_hosts.len()
    );
    println!(
        "  idle RSS after start:                       {:>7.1} MB",
        idle_rss as f64 / 1024.0
    );
    println!(
        "  RSS added by the bad-tail run (peak):       {:>7.1} MB",
        peak as f64 / 1024.0
    );
}
