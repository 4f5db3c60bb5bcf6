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
    store.migrate().await?;
    let readiness = store.readiness().await?;
    store.close().await;
    println!(
        "database {} is up to date ({} pending migrations)",
        unionhall_store::mask_password(&settings.database.url),
        readiness.pending_migrations.len()
    );
    Ok(())
}
