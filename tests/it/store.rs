use crate::helpers::{fresh_database, open_store};
use unionhall_store::instance;

#[tokio::test]
async fn readiness_reports_pending_migrations_until_migrated() {
    let db = fresh_database().await;
    let store = open_store(&db).await;
    let before = store.readiness().await.unwrap();
    assert!(!before.is_ready());
    assert!(!before.pending_migrations.is_empty());
    store.migrate().await.unwrap();
    assert!(store.readiness().await.unwrap().is_ready());
    // Migrating again is a no-op, as at every start.
    store.migrate().await.unwrap();
    assert!(store.readiness().await.unwrap().is_ready());
}

#[tokio::test]
async fn instance_facts_are_set_once() {
    let db = fresh_database().await;
    let store = open_store(&db).await;
    store.migrate().await.unwrap();
    assert_eq!(instance::get(&store, "public_url").await.unwrap(), None);
    let first = instance::remember_first_start(&store, "https://a.example/")
        .await
        .unwrap();
    assert_eq!(first, "https://a.example/");
    let second = instance::remember_first_start(&store, "https://b.example/")
        .await
        .unwrap();
    assert_eq!(second, "https://a.example/", "the first URL is kept");
}

#[tokio::test]
async fn a_rolled_back_write_leaves_nothing() {
    let db = fresh_database().await;
    let store = open_store(&db).await;
    store.migrate().await.unwrap();
    {
        let mut tx = store.begin_write().await.unwrap();
        sqlx::query("INSERT INTO instance_meta (key, value, updated_at) VALUES ('k', 'v', 0)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
    }
    assert_eq!(instance::get(&store, "k").await.unwrap(), None);
}

#[tokio::test]
async fn concurrent_writers_on_one_database_all_succeed() {
    let db = fresh_database().await;
    let store = open_store(&db).await;
    store.migrate().await.unwrap();
    let writers = (0..16).map(|i| {
        let store = store.clone();
        tokio::spawn(async move { instance::get_or_set(&store, &format!("key{i}"), "v").await })
    });
    for writer in writers {
        writer.await.unwrap().unwrap();
    }
    for i in 0..16 {
        assert!(instance::get(&store, &format!("key{i}"))
            .await
            .unwrap()
            .is_some());
    }
}
