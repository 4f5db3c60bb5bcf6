//! `unionhall serve`, `migrate`, `prune` and `healthcheck`.

use crate::startup::{self, Application};
use crate::{Result, Settings};

pub async fn serve(settings: Settings) -> Result<()> {
    let app = Application::build(settings).await?;
    // Scripts and tests read this line to learn the address (the port may be 0).
    println!(
        "Unionhall serving {} (listening on http://{})",
        app.public_url(),
        app.local_addr()
    );
    app.run_until_stopped(startup::shutdown_signal()).await?;
    println!("Unionhall stopped");
    Ok(())
}

pub async fn migrate(settings: Settings) -> Result<()> {
    let store = startup::open_store(&settings).await?;
    let before = store.readiness().await?.pending_migrations;
    store.migrate().await?;
    let left = store.readiness().await?.pending_migrations;
    store.close().await;
    let database = unionhall_store::mask_password(&settings.database.url);
    let applied: Vec<String> = before
        .iter()
        .filter(|v| !left.contains(v))
        .map(ToString::to_string)
        .collect();
    if applied.is_empty() {
        println!("database {database} was up to date: no migration applied");
    } else {
        println!(
            "database {database}: applied {} migration(s), {}; it is up to date",
            applied.len(),
            applied.join(", ")
        );
    }
    Ok(())
}

/// What the server prunes on its own every `retention.every_minutes`, now.
pub async fn prune(settings: Settings) -> Result<()> {
    let store = startup::open_store(&settings).await?;
    store.migrate().await?;
    let pruned = unionhall_store::retention::prune(&store, &settings.retention_ages()).await?;
    store.close().await;
    let r = &settings.retention;
    println!(
        "pruned {} delivered deliveries (older than {} days), {} dead ones (older than {} days), \
         {} received activity ids (older than {} days), {} expired or revoked logins, \
         {} API tokens, {} recovery links, {} mails sent or given up, {} unsubscribe links, \
         {} pledges and mail records of calls over more than {} days ago, \
         {} joins of those calls, and likes and shares as old, whose fediverse actor was forgotten, \
         {} activities sent (older than {} days)",
        pruned.delivered,
        r.delivered_days,
        pruned.dead,
        r.dead_days,
        pruned.seen_ids,
        r.seen_activity_days,
        pruned.sessions,
        pruned.api_tokens,
        pruned.recovery_links,
        pruned.mail,
        pruned.unsubscribe_links,
        pruned.pledges,
        r.pledges_days,
        pruned.fediverse_actors,
        pruned.outbox,
        r.outbox_days
    );
    Ok(())
}

/// GET /readyz on the listening address (a wildcard address asked on
/// loopback), with a short timeout.
pub async fn healthcheck(settings: &Settings) -> Result<()> {
    let mut addr = settings.http.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let url = format!("http://{addr}/readyz");
    let unhealthy = |reason: String| crate::Error::Usage(format!("not ready: {reason}"));
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .no_proxy()
        .build()
        .map_err(|err| unhealthy(err.to_string()))?;
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|err| unhealthy(format!("{url}: {err}")))?;
    let status = response.status();
    if status.is_success() {
        println!("ready: {url}");
        Ok(())
    } else {
        let body = response.text().await.unwrap_or_default();
        Err(unhealthy(format!(
            "{url} answered {status}: {}",
            body.trim()
        )))
    }
}
