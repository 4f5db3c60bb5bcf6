//! `unionhall status`: what an operator checks first (docs/operating.md), as
//! text or JSON, with an exit status a monitor can act on.

use crate::{Error, Result, Settings};
use serde_json::json;
use unionhall_store::deliveries::QueueHealth;

pub async fn run(settings: &Settings, json: bool, max_wait_minutes: i64) -> Result<()> {
    let store = crate::startup::open_store(settings).await?;
    let health = unionhall_store::deliveries::health(&store).await?;
    let mail = unionhall_store::mail_queue::stats(&store).await?;
    let now = unionhall_store::now_millis();
    let attention = needs_attention(&health, max_wait_minutes);
    if json {
        let mut shown = as_json(&health, now, &attention);
        shown["mail"] = json!({"waiting": mail.waiting, "sent": mail.sent, "failed": mail.failed});
        println!("{shown}");
    } else {
        print_text(&health, now);
        println!(
            "mail waiting {}, sent {}, given up {}{}",
            mail.waiting,
            mail.sent,
            mail.failed,
            if settings.email.server.is_empty() {
                " (email is off)"
            } else {
                ""
            }
        );
    }
    if attention.is_empty() {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "needs attention: {}",
            attention.join("; ")
        )))
    }
}

/// Why the queue needs a look: dead deliveries, or a delivery waiting longer
/// than `max_wait_minutes`.
fn needs_attention(health: &QueueHealth, max_wait_minutes: i64) -> Vec<String> {
    let mut reasons = Vec::new();
    if health.dead > 0 {
        reasons.push(format!(
            "{} dead deliveries (unionhall federation retry-dead)",
            health.dead
        ));
    }
    if health.oldest_pending_age_ms > max_wait_minutes * 60_000 {
        // Usually a peer that is down: name the ones backed off now.
        let peers: Vec<&str> = health
            .backed_off
            .iter()
            .take(5)
            .map(|(peer, _, _)| peer.as_str())
            .collect();
        let behind = match peers.len() {
            0 => String::new(),
            _ if health.backed_off.len() > peers.len() => format!(
                " (peers backed off now: {}, and {} more; unionhall federation retry HOST once one is back)",
                peers.join(", "),
                health.backed_off.len() - peers.len()
            ),
            _ => format!(
                " (peers backed off now: {}; unionhall federation retry HOST once one is back)",
                peers.join(", ")
            ),
        };
        reasons.push(format!(
            "a delivery has waited {}{behind}",
            human_duration(health.oldest_pending_age_ms / 1000)
        ));
    }
    reasons
}

fn as_json(health: &QueueHealth, now: i64, attention: &[String]) -> serde_json::Value {
    json!({
        "pending": health.pending,
        "oldest_pending_seconds": health.oldest_pending_age_ms / 1000,
        "dead": health.dead,
        "dead_by_peer": health.dead_by_peer.iter()
            .map(|(peer, dead)| json!({"peer": peer, "dead": dead}))
            .collect::<Vec<_>>(),
        "backed_off": health.backed_off.iter()
            .map(|(peer, until, error)| json!({
                "peer": peer,
                "seconds_left": (until - now).max(0) / 1000,
                "last_error": error,
            }))
            .collect::<Vec<_>>(),
        "claims": health.claims.iter()
            .map(|(worker, held, until)| json!({
                "worker": worker,
                "deliveries": held,
                "seconds_left": (until - now).max(0) / 1000,
            }))
            .collect::<Vec<_>>(),
        "needs_attention": attention,
    })
}

fn print_text(health: &QueueHealth, now: i64) {
    println!(
        "deliveries pending {}, oldest waiting {}",
        health.pending,
        human_duration(health.oldest_pending_age_ms / 1000)
    );
    println!("dead deliveries {}", health.dead);
    for (peer, dead) in &health.dead_by_peer {
        println!("  {dead:>6}  {peer}");
    }
    println!("peers backed off now {}", health.backed_off.len());
    for (peer, until, error) in &health.backed_off {
        let wait = human_duration((until - now).max(0) / 1000);
        println!("  {peer}  for {wait} more: {error}");
    }
    // Held by a worker (host:pid:start): in flight, or waiting for their
    // peer's turn. A claim not renewed runs out in seconds.
    println!(
        "deliveries held by workers now {}",
        health.claims.iter().map(|c| c.1).sum::<i64>()
    );
    for (worker, held, until) in &health.claims {
        let left = human_duration((until - now).max(0) / 1000);
        println!("  {held:>6}  {worker}  (claim runs out in {left} unless renewed)");
    }
}

fn human_duration(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}
