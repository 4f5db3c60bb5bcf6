//! Retention under a steady load: `cargo bench --bench retention`.
//!
//! Simulates four months of a busy chapter's instance, a day at a time, on a
//! real SQLite file: each day 300 published activities (one in ten a Create,
//! the rest Updates, as pledges coming in send) with 10 deliveries each (1%
//! of them given up), and 3,000 activities received; then the day's pruning
//! with the default retention settings, as of that simulated day. Prints some
//! days: the rows of the pruned tables, the outbox, the database's pages in
//! use and its file size, and how long that day's pruning took. The pruned
//! tables level off once their ages have passed (7 days for delivered
//! deliveries, 30 for dead ones and received ids, 90 for the outbox's
//! Updates); what still grows is the Creates.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark: any failure aborts the run

mod support;

use std::time::{Duration, Instant};
use support::{instance, new_chapter};

const DAYS: i64 = 120;
const ACTIVITIES_PER_DAY: usize = 300;
const FOLLOWERS: usize = 10;
const RECEIVED_PER_DAY: usize = 3000;
const DAY_MS: i64 = 24 * 3600 * 1000;

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (data, stop, server) = instance(
        [127, 0, 0, 1],
        "sender.bench",
        dir.path(),
        Default::default(),
    )
    .await;
    let chapter = new_chapter(&data, "bench").await;
    let store = data.store.clone();
    let ages = unionhall::Settings::load(None, Vec::new())
        .expect("default settings")
        .retention_ages();
    let file = dir.path().join("sender.bench.db");
    // Simulated days start tomorrow, so that the server's own pruning (on the
    // real clock) never finds them old.
    let start = unionhall_store::now_millis() + DAY_MS;
    let body = format!(
        "{{\"type\":\"Create\",\"object\":{{\"content\":\"{}\"}}}}",
        "Picket at gate 3 from 6am; bring water. ".repeat(12)
    );
    println!("Unionhall retention over {DAYS} simulated days (default settings)");
    println!(
        "  each day: {ACTIVITIES_PER_DAY} activities x {FOLLOWERS} deliveries, {RECEIVED_PER_DAY} received"
    );
    println!("  day  deliveries  received ids  outbox  in use MB  file MB  prune ms");
    let mut prune_times = Vec::new();
    for day in 1..=DAYS {
        let now = start + day * DAY_MS;
        one_day(&store, &chapter.ap_id, &body, day, now).await;
        let began = Instant::now();
        unionhall_store::retention::prune_at(&store, &ages, now)
            .await
            .expect("prune");
        let pruned_in = began.elapsed();
        prune_times.push(pruned_in);
        if [1, 7, 30, 60, 90, 100, 120].contains(&day) {
            let (deliveries, received, outbox, in_use) = figures(&store).await;
            let file_mb = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
            println!(
                "  {day:>3}  {deliveries:>10}  {received:>12}  {outbox:>6}  {:>9.1}  {file_mb:>7.1}  {:>8.1}",
                in_use as f64 / 1e6,
                pruned_in.as_secs_f64() * 1e3
            );
        }
    }
    let worst = prune_times.iter().max().copied().unwrap_or(Duration::ZERO);
    println!(
        "  slowest day's pruning: {:.1} ms (batches of 1,000 rows, one write transaction each)",
        worst.as_secs_f64() * 1e3
    );
    let _ = stop.send(());
    let _ = server.await;
}

/// One simulated day's writes, timestamped `now`.
async fn one_day(store: &unionhall_store::Store, actor: &url::Url, body: &str, day: i64, now: i64) {
    let mut tx = store.begin_write().await.expect("tx");
    for n in 0..ACTIVITIES_PER_DAY {
        let id = format!("{actor}/activities/{day}-{n}");
        let ap_type = if n % 10 == 0 { "Create" } else { "Update" };
        sqlx::query(
            "INSERT INTO outbox (ap_id, actor, ap_type, body, public, created_at) \
             VALUES ($1, $2, $3, $4, 1, $5)",
        )
        .bind(&id)
        .bind(actor.as_str())
        .bind(ap_type)
        .bind(body)
        .bind(now)
        .execute(&mut *tx)
        .await
        .expect("outbox");
        for f in 0..FOLLOWERS {
            // One delivery in a hundred is given up (a server gone for good).
            let dead = (n * FOLLOWERS + f).is_multiple_of(100);
            sqlx::query(
                "INSERT INTO deliveries (activity, inbox, host, attempts, next_attempt_at, \
                 delivered_at, dead_at, created_at) VALUES ($1, $2, $3, 1, $4, $5, $6, $4)",
            )
            .bind(&id)
            .bind(format!("https://peer{f}.example/inbox"))
            .bind(format!("peer{f}.example"))
            .bind(now)
            .bind((!dead).then_some(now))
            .bind(dead.then_some(now))
            .execute(&mut *tx)
            .await
            .expect("delivery");
        }
    }
    for n in 0..RECEIVED_PER_DAY {
        sqlx::query("INSERT INTO inbox_seen (ap_id, actor, received_at) VALUES ($1, $2, $3)")
            .bind(format!(
                "https://peer{}.example/activities/{day}-{n}",
                n % 10
            ))
            .bind(format!("https://peer{}.example/actor", n % 10))
            .bind(now)
            .execute(&mut *tx)
            .await
            .expect("seen");
    }
    unionhall_store::commit(tx).await.expect("commit");
}

/// Rows of deliveries, received ids and the outbox, and bytes of pages in use
/// (the file keeps pages freed by pruning for new rows).
async fn figures(store: &unionhall_store::Store) -> (i64, i64, i64, i64) {
    use sqlx::Row;
    let mut conn = store.acquire().await.expect("connection");
    let count = |table: &'static str| format!("SELECT COUNT(*) FROM {table}");
    let mut rows = Vec::new();
    for table in ["deliveries", "inbox_seen", "outbox"] {
        let n: i64 = sqlx::query(&count(table))
            .fetch_one(&mut *conn)
            .await
            .expect("count")
            .get(0);
        rows.push(n);
    }
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut *conn)
        .await
        .expect("checkpoint");
    let pragma = |name: &'static str| format!("PRAGMA {name}");
    let mut pages = Vec::new();
    for name in ["page_count", "freelist_count", "page_size"] {
        let n: i64 = sqlx::query(&pragma(name))
            .fetch_one(&mut *conn)
            .await
            .expect("pragma")
            .get(0);
        pages.push(n);
    }
    (rows[0], rows[1], rows[2], (pages[0] - pages[1]) * pages[2])
}
