//! `unionhall serve` and `unionhall migrate`.

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
