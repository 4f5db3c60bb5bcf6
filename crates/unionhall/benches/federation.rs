//! Federation benchmarks: `cargo bench --bench federation`.
//!
//! Prints, for this machine and this run:
//! - the signing ceiling: RSA-2048 signatures per second with the backend
//!   deliveries use (aws-lc-rs), on all cores;
//! - fan-out: one activity to 10,000 distinct inboxes through the durable queue,
//!   from the commit that queues it to the last delivery recorded, and its ratio
//!   to the signing ceiling (every inbox needs its own signature), signed with
//!   RSA (draft-cavage, what every peer takes) and again with Ed25519 (RFC
//!   9421, for peers that take it), beside the Ed25519 signing ceiling;
//! - what a reader sees meanwhile: the chapter's actor fetched every 20 ms
//!   during the fan-out, against the same when idle;
//! - per-peer throughput to one peer that answers after 150 ms;
//! - memory: resident set when idle, and what the fan-out added;
//! - inbox ingest: 10,000 signed Creates from a followed (cached) actor, posted
//!   64 at a time (`UH_IN_FLIGHT` to change it) as pre-built requests on raw
//!   keep-alive connections, by clients on a runtime of their own, each verified, deduplicated and stored; with the verification
//!   ceiling (aws-lc-rs, all cores) measured in the same run.
//!
//! The receivers run in a child process (this binary again, with
//! UH_BENCH_ROLE=receivers) so that their memory and CPU are not counted as the
//! sender's. They answer 202 at once, or after 150 ms on the "slow" address,
//! with no more HTTP than that takes.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark: any failure aborts the run

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::{
    answer_202, ed25519_signing_ceiling, host_name, instance, new_chapter, rss_kib,
    signing_ceiling, whole_message,
};
use unionhall_federation::delivery::knock::Scheme;

const INBOXES: usize = 10_000;
const RECEIVER_HOSTS: u8 = 20;
const SLOW_ACTIVITIES: usize = 600;
const SLOW_DELAY: Duration = Duration::from_millis(150);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if std::env::var("UH_BENCH_ROLE").as_deref() == Ok("receivers") {
        runtime.block_on(receivers());
    } else {
        runtime.block_on(sender());
    }
}

fn receiver_ip(n: u8) -> IpAddr {
    IpAddr::from([127, 0, 1, n])
}

const SLOW_IP: [u8; 4] = [127, 0, 2, 1];

/// The child process: fast receivers on 127.0.1.1-20, a slow one on 127.0.2.1.
/// Prints one line of `ip:port` addresses, then serves until stdin closes.
async fn receivers() {
    let mut addrs = Vec::new();
    for n in 1..=RECEIVER_HOSTS {
        let listener = tokio::net::TcpListener::bind((receiver_ip(n), 0))
            .await
            .expect("bind");
        addrs.push(listener.local_addr().expect("addr"));
        tokio::spawn(answer_202(listener, None));
    }
    let listener = tokio::net::TcpListener::bind((IpAddr::from(SLOW_IP), 0))
        .await
        .expect("bind");
    addrs.push(listener.local_addr().expect("addr"));
    tokio::spawn(answer_202(listener, Some(SLOW_DELAY)));
    println!(
        "{}",
        addrs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    );
    // Serve until the parent closes our stdin.
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    })
    .await;
}

/// Fetches an actor's JSON over one keep-alive connection every 20 ms, from a
/// thread of its own (not the runtime under test), until stopped; reports the
/// median and worst response times.
struct Probe {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Vec<Duration>>,
}

impl Probe {
    fn start(actor: &url::Url) -> Self {
        use std::io::{Read, Write};
        let address: SocketAddr = (
            IpAddr::from([127, 0, 0, 1]),
            actor.port().expect("the bench's URLs have ports"),
        )
            .into();
        let request = format!(
            "GET {} HTTP/1.1\r\nhost: {}\r\naccept: application/activity+json\r\n\r\n",
            actor.path(),
            actor.authority()
        );
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut connection = std::net::TcpStream::connect(address).expect("connect");
            let mut times = Vec::new();
            let mut buffer = Vec::new();
            loop {
                let start = Instant::now();
                connection.write_all(request.as_bytes()).expect("send");
                buffer.clear();
                let mut chunk = [0u8; 4096];
                loop {
                    let read = connection.read(&mut chunk).expect("read");
                    assert!(read > 0, "the server closed the connection");
                    buffer.extend_from_slice(&chunk[..read]);
                    if whole_message(&buffer, "HTTP/1.1 200").is_some() {
                        break;
                    }
                }
                times.push(start.elapsed());
                if stopped.load(std::sync::atomic::Ordering::Relaxed) {
                    return times;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Self { stop, thread }
    }

    /// "median X ms, worst Y ms (N fetches)".
    fn stop(self) -> String {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        summary(self.thread.join().expect("probe"), "fetches")
    }
}

/// A chapter publishing a note every 20 ms, as an organizer posting an update
/// during a fan-out would: each a write transaction (the post and its
/// activity; the chapter has no followers to deliver to), timed from the call
/// on the server's runtime to the commit.
struct WriteProbe {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<Vec<Duration>>,
}

impl WriteProbe {
    fn start(data: &unionhall_federation::Data, handle: &'static str) -> Self {
        let data = data.reset_request_count();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let start = Instant::now();
                unionhall_federation::activities::post::publish_note(
                    &data,
                    handle,
                    "The picket moves to gate 4.",
                )
                .await
                .expect("publish");
                times.push(start.elapsed());
                if stopped.load(std::sync::atomic::Ordering::Relaxed) {
                    return times;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Self { stop, task }
    }

    /// "median X ms, worst Y ms (N notes)".
    async fn stop(self) -> String {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        summary(self.task.await.expect("write probe"), "notes")
    }
}

/// "median X ms, worst Y ms (N what)".
fn summary(mut times: Vec<Duration>, what: &str) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "median {:.1} ms, worst {:.1} ms ({} {what})",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        times.len()
    )
}

/// CPU time (user + system) a process has used, in seconds (`self` or a pid).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

async fn wait_delivered(store: &unionhall_store::Store, target: i64) -> Duration {
    let start = Instant::now();
    // Poll the pending count, which the queue's partial index answers alone
    // (a full count of 10,000 rows every 50 ms cost the run about 2% of its
    // CPU, and the coarse poll up to 50 ms at the end).
    // A run that stops making progress fails rather than hangs (a receiver
    // that refuses everything leaves deliveries waiting for their retry).
    let (mut last, mut moved) = (i64::MAX, Instant::now());
    loop {
        let pending = unionhall_store::deliveries::pending(store)
            .await
            .expect("pending");
        if pending == 0 {
            break;
        }
        if pending < last {
            (last, moved) = (pending, Instant::now());
        }
        assert!(
            moved.elapsed() < Duration::from_secs(30),
            "{pending} deliveries stuck for 30 s: {:?}",
            unionhall_store::deliveries::stats(store).await
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let done = start.elapsed();
    let stats = unionhall_store::deliveries::stats(store)
        .await
        .expect("stats");
    assert_eq!(
        stats.dead,
        0,
        "deliveries died: {:?}",
        unionhall_store::deliveries::dead(store, 3).await
    );
    assert_eq!(stats.delivered, target, "delivered");
    done
}

async fn sender() {
    // `UH_BENCH_ONLY=ingest cargo bench --bench federation`: the ingest alone.
    if std::env::var("UH_BENCH_ONLY").as_deref() == Ok("ingest") {
        let (verify_ceiling, ingest) = ingest_benchmark().await;
        print_ingest(verify_ceiling, ingest);
        return;
    }
    let (ceiling, cores) = signing_ceiling();
    let ed25519_ceiling = ed25519_signing_ceiling();

    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .env("UH_BENCH_ROLE", "receivers")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start receivers");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("addresses");
    let addrs: Vec<SocketAddr> = line
        .split_whitespace()
        .map(|a| a.parse().expect("addr"))
        .collect();
    let (fast, slow) = addrs.split_at(RECEIVER_HOSTS as usize);

    let dir = tempfile::tempdir().expect("temp dir");
    let hosts = addrs.iter().map(|a| (host_name(a.ip()), a.ip())).collect();
    let (data, stop, server) = instance([127, 0, 0, 1], "sender.bench", dir.path(), hosts).await;
    let store = data.store.clone();
    let chapter = new_chapter(&data, "bench").await;
    // A second chapter, without followers, writes during the fan-out.
    new_chapter(&data, "writers").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = rss_kib("VmRSS:");

    // Fan-out: one activity, 10,000 inboxes on 20 hosts.
    let inboxes: Vec<url::Url> = (0..INBOXES)
        .map(|n| {
            let a = fast[n % fast.len()];
            format!("http://{}:{}/inbox/{n}", host_name(a.ip()), a.port())
                .parse()
                .expect("url")
        })
        .collect();
    // Each peer as known to take one signature scheme (as if learned by an
    // earlier knock, `delivery/knock.rs`): RSA first, as every peer takes.
    let take = |scheme: Scheme| {
        for a in &addrs {
            let host = format!("{}:{}", host_name(a.ip()), a.port());
            data.knocks.learned(&host, scheme);
        }
    };
    take(Scheme::Cavage);
    let queue = |n: usize, inboxes: Vec<url::Url>| {
        let (data, store, chapter) = (data.clone(), store.clone(), chapter.clone());
        async move {
            let id = data.urls.new_activity_id();
            let activity = serde_json::json!({
                "type": "Create", "id": id, "actor": chapter.ap_id,
                "object": {"type": "Note", "id": format!("{id}/note"), "attributedTo": chapter.ap_id,
                           "content": format!("<p>Benchmark note {n}: picket at gate 3, 6am.</p>")}
            });
            let mut tx = store.begin_write().await.expect("tx");
            unionhall_federation::delivery::enqueue(
                &mut tx, &data, &chapter, &id, &activity, &inboxes, true,
            )
            .await
            .expect("enqueue");
            unionhall_store::commit(tx).await.expect("commit");
            data.wake_delivery();
        }
    };
    // What a reader of the chapter and a writer see meanwhile: its actor
    // fetched and another chapter's notes published now and then, idle first,
    // then during the fan-out.
    let (idle, idle_writes) = (
        Probe::start(&chapter.ap_id),
        WriteProbe::start(&data, "writers"),
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_latency = idle.stop();
    let idle_write_latency = idle_writes.stop().await;
    let (probe, writes) = (
        Probe::start(&chapter.ap_id),
        WriteProbe::start(&data, "writers"),
    );
    let hwm_before = rss_kib("VmHWM:");
    let cpu_before = (cpu_seconds("self"), cpu_seconds(&child.id().to_string()));
    let start = Instant::now();
    queue(0, inboxes.clone()).await;
    let queued = start.elapsed();
    let fanout = queued + wait_delivered(&store, INBOXES as i64).await;
    let busy_latency = probe.stop();
    let busy_write_latency = writes.stop().await;
    let fanout_peak = rss_kib("VmHWM:").saturating_sub(hwm_before.max(idle_rss));
    let sender_cpu = cpu_seconds("self") - cpu_before.0;
    let receivers_cpu = cpu_seconds(&child.id().to_string()) - cpu_before.1;

    // The same fan-out to peers that take Ed25519 RFC 9421 signatures.
    take(Scheme::Rfc9421Ed25519);
    let cpu_before = cpu_seconds("self");
    let start = Instant::now();
    queue(1, inboxes).await;
    let ed25519_fanout = start.elapsed() + wait_delivered(&store, 2 * INBOXES as i64).await;
    let ed25519_cpu = cpu_seconds("self") - cpu_before;
    take(Scheme::Cavage);

    // One slow peer, many activities.
    let slow_inbox: url::Url = format!(
        "http://{}:{}/inbox/0",
        host_name(slow[0].ip()),
        slow[0].port()
    )
    .parse()
    .expect("url");
    let start = Instant::now();
    for n in 0..SLOW_ACTIVITIES {
        queue(n, vec![slow_inbox.clone()]).await;
    }
    let slow_time =
        start.elapsed() + wait_delivered(&store, (2 * INBOXES + SLOW_ACTIVITIES) as i64).await;

    let _ = stop.send(());
    let _ = server.await;
    drop(child.stdin.take());
    let _ = child.wait();

    let (verify_ceiling, ingest) = ingest_benchmark().await;

    let rate = INBOXES as f64 / fanout.as_secs_f64();
    println!("Unionhall federation benchmark ({cores} cores)");
    println!(
        "  signing ceiling (aws-lc-rs, RSA-2048, {cores} threads): {ceiling:>9.0} signatures/s"
    );
    println!(
        "  fan-out, 1 activity to {INBOXES} inboxes on {RECEIVER_HOSTS} hosts: {:>6.2} s  ({rate:.0} deliveries/s, {:.0}% of the signing ceiling)",
        fanout.as_secs_f64(),
        100.0 * rate / ceiling
    );
    println!(
        "    of which queueing (one transaction):      {:>6.3} s",
        queued.as_secs_f64()
    );
    println!(
        "    CPU per delivery: sender {:.0} µs (signing alone {:.0} µs), receivers {:.0} µs",
        sender_cpu * 1e6 / INBOXES as f64,
        cores as f64 * 1e6 / ceiling,
        receivers_cpu * 1e6 / INBOXES as f64
    );
    println!(
        "    the chapter's actor fetched meanwhile:     {busy_latency} (idle: {idle_latency})"
    );
    println!(
        "    another chapter's note published meanwhile: {busy_write_latency} (idle: {idle_write_latency})"
    );
    let ed25519_rate = INBOXES as f64 / ed25519_fanout.as_secs_f64();
    println!(
        "  signing ceiling (aws-lc-rs, Ed25519, {cores} threads):  {ed25519_ceiling:>9.0} signatures/s"
    );
    println!(
        "  the same fan-out signed with Ed25519 (RFC 9421):  {:>6.2} s  ({ed25519_rate:.0} deliveries/s, {:.2}x the RSA fan-out, {:.1}% of the Ed25519 ceiling)",
        ed25519_fanout.as_secs_f64(),
        ed25519_rate / rate,
        100.0 * ed25519_rate / ed25519_ceiling
    );
    println!(
        "    CPU per delivery: sender {:.0} µs (signing alone {:.1} µs)",
        ed25519_cpu * 1e6 / INBOXES as f64,
        cores as f64 * 1e6 / ed25519_ceiling,
    );
    println!(
        "  one peer 150 ms away, {SLOW_ACTIVITIES} activities:        {:>6.2} s  ({:.0} activities/s)",
        slow_time.as_secs_f64(),
        SLOW_ACTIVITIES as f64 / slow_time.as_secs_f64()
    );
    println!(
        "  idle RSS after start:                       {:>6.1} MB",
        idle_rss as f64 / 1024.0
    );
    println!(
        "  RSS added by the fan-out (peak):            {:>6.1} MB",
        fanout_peak as f64 / 1024.0
    );
    print_ingest(verify_ceiling, ingest);
}

fn print_ingest(verify_ceiling: f64, ingest: Duration) {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "  verification ceiling (aws-lc-rs, {cores} threads):   {verify_ceiling:>9.0} verifications/s"
    );
    println!(
        "  inbox ingest, {INGESTED} signed Creates, {} at a time: {:>6.2} s  ({:.0} activities/s, {:.0}% of the verification ceiling)",
        ingest_in_flight(),
        ingest.as_secs_f64(),
        INGESTED as f64 / ingest.as_secs_f64(),
        100.0 * INGESTED as f64 / ingest.as_secs_f64() / verify_ceiling
    );
}

const INGESTED: usize = 10_000;

/// Requests the ingest keeps in flight: 64, or `UH_IN_FLIGHT`.
fn ingest_in_flight() -> usize {
    std::env::var("UH_IN_FLIGHT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// Sends one pre-built request on a keep-alive connection and reads the answer,
/// which must be `202` with an empty or short body.
async fn post_raw(connection: &mut tokio::net::TcpStream, request: &[u8], buffer: &mut Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    connection.write_all(request).await.expect("send");
    buffer.clear();
    loop {
        let mut chunk = [0u8; 1024];
        let read = connection.read(&mut chunk).await.expect("read");
        assert!(read > 0, "the server closed the connection");
        buffer.extend_from_slice(&chunk[..read]);
        if whole_message(buffer, "HTTP/1.1 202").is_some() {
            return;
        }
    }
}

/// RSA-2048 verifications per second with aws-lc-rs, one thread per core, for 2 s.
fn verification_ceiling() -> f64 {
    use unionhall_federation::signatures::{sign, Signer, Verifier};
    let keys = activitypub_federation::http_signatures::generate_actor_keypair().expect("keys");
    let key = Signer::default()
        .key("bench", &keys.private_key)
        .expect("key");
    let message = vec![b'x'; 200];
    let signature = sign(&key, &message).expect("sign");
    let verifier = Verifier::default();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let start = Instant::now();
    let total: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (verifier, message, signature, pem) =
                    (&verifier, &message, &signature, &keys.public_key);
                scope.spawn(move || {
                    let mut n = 0;
                    while start.elapsed() < Duration::from_secs(2) {
                        assert!(verifier.verify(pem, message, signature).expect("verify"));
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    total as f64 / start.elapsed().as_secs_f64()
}

async fn ingest_benchmark() -> (f64, Duration) {
    use unionhall_federation::signatures::{signed_post_headers, Signer};
    let ceiling = verification_ceiling();
    let dir = tempfile::tempdir().expect("temp dir");
    let hosts: std::collections::BTreeMap<String, IpAddr> = [
        ("receiver.bench", [127, 0, 3, 1]),
        ("sender.bench", [127, 0, 3, 2]),
    ]
    .into_iter()
    .map(|(n, ip)| (n.to_owned(), IpAddr::from(ip)))
    .collect();
    let (receiver, stop_r, task_r) =
        instance([127, 0, 3, 1], "receiver.bench", dir.path(), hosts.clone()).await;
    let (sender, stop_s, task_s) =
        instance([127, 0, 3, 2], "sender.bench", dir.path(), hosts).await;
    let chapter = new_chapter(&sender, "movers").await;
    // The receiver follows the sender, so it keeps its posts and caches its key.
    unionhall_federation::activities::follow::follow_remote(&receiver, chapter.ap_id.as_str())
        .await
        .expect("follow");
    while !unionhall_store::follows::is_following(&receiver.store, &chapter.ap_id)
        .await
        .expect("following")
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Sign everything first: the clients' work is not what is measured.
    let inbox: url::Url = format!("{}inbox", receiver.urls.base())
        .parse()
        .expect("inbox");
    let key = Signer::default()
        .key(
            chapter.ap_id.as_str(),
            chapter.private_key_pem.as_deref().expect("pem"),
        )
        .expect("key");
    // Each request as the exact bytes of an HTTP/1.1 POST, so that the
    // clients, which share the two cores with the server, cost as little as a
    // remote server's would cost this machine: a write and a read.
    let requests: Vec<Vec<u8>> = (0..INGESTED)
        .map(|n| {
            let id = sender.urls.new_activity_id();
            let body = serde_json::json!({
                "type": "Create", "id": id, "actor": chapter.ap_id,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "object": {"type": "Note", "id": format!("{id}/note"), "attributedTo": chapter.ap_id,
                           "content": format!("<p>Update {n}: the picket moves to gate 4.</p>"),
                           "to": ["https://www.w3.org/ns/activitystreams#Public"]}
            })
            .to_string()
            .into_bytes();
            let headers = signed_post_headers(&key, &chapter.public_key_id, &inbox, &body).expect("sign");
            let mut request = format!("POST {} HTTP/1.1\r\n", inbox.path());
            for (name, value) in &headers {
                let value = value.to_str().expect("header");
                request.push_str(&format!("{name}: {value}\r\n"));
            }
            request.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
            let mut request = request.into_bytes();
            request.extend_from_slice(&body);
            request
        })
        .collect();
    let in_flight = ingest_in_flight();
    let server = SocketAddr::new(IpAddr::from([127, 0, 3, 1]), inbox.port().expect("port"));
    let start = Instant::now();
    // The clients get a runtime (and a thread) of their own, so that the
    // server's tasks do not queue behind theirs: one keep-alive connection per
    // request in flight.
    let clients = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let queue = std::sync::Arc::new(std::sync::Mutex::new(requests));
            let workers: Vec<_> = (0..in_flight)
                .map(|_| {
                    let queue = queue.clone();
                    tokio::spawn(async move {
                        let mut connection = tokio::net::TcpStream::connect(server)
                            .await
                            .expect("connect");
                        connection.set_nodelay(true).expect("nodelay");
                        let mut buffer = Vec::with_capacity(1024);
                        loop {
                            let Some(request) = queue.lock().expect("queue").pop() else {
                                break;
                            };
                            post_raw(&mut connection, &request, &mut buffer).await;
                        }
                    })
                })
                .collect();
            for worker in workers {
                worker.await.expect("client");
            }
        })
    });
    tokio::task::spawn_blocking(move || clients.join().expect("clients"))
        .await
        .expect("clients");
    let elapsed = start.elapsed();
    let stored = unionhall_store::posts::by_author(&receiver.store, &chapter.ap_id)
        .await
        .expect("posts")
        .len();
    assert_eq!(stored, INGESTED, "every activity was stored");
    for (stop, task) in [(stop_r, task_r), (stop_s, task_s)] {
        let _ = stop.send(());
        let _ = task.await;
    }
    (ceiling, elapsed)
}
