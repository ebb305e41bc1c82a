//! The Store behaves the same on SQLite and on a real PostgreSQL.

use chrono::NaiveDate;
use demail_store::testing::both_backends;
use demail_store::{Backend, CounterKind, Store};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

#[tokio::test]
async fn counts_accumulate_per_day_and_key_on_both_backends() -> Result<(), String> {
    let backends = both_backends().await?;
    assert_eq!(
        backends.stores.iter().map(Store::backend).collect::<Vec<_>>(),
        vec![Backend::Sqlite, Backend::Postgres]
    );
    for store in &backends.stores {
        let e = |e: demail_store::StoreError| format!("{:?}: {e}", store.backend());
        store.increment(day("2026-11-23"), CounterKind::Signup, "posteo").await.map_err(e)?;
        store.increment(day("2026-11-24"), CounterKind::Signup, "posteo").await.map_err(e)?;
        store.increment(day("2026-11-24"), CounterKind::Signup, "posteo").await.map_err(e)?;
        store.increment(day("2026-11-24"), CounterKind::Signup, "mailo").await.map_err(e)?;
        store.increment(day("2026-11-24"), CounterKind::Results, "x").await.map_err(e)?;
        let rows = store.counters(CounterKind::Signup, day("2026-11-24")).await.map_err(e)?;
        let got: Vec<(String, i64)> = rows.iter().map(|c| (c.key.clone(), c.count)).collect();
        assert_eq!(got, vec![("mailo".to_owned(), 1), ("posteo".to_owned(), 2)], "{:?}", store.backend());
        store.ping().await.map_err(e)?;
    }
    Ok(())
}

#[tokio::test]
async fn concurrent_increments_are_all_counted_on_both_backends() -> Result<(), String> {
    let backends = both_backends().await?;
    for store in &backends.stores {
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(
                    async move { store.increment(day("2026-11-24"), CounterKind::Signup, "k").await },
                )
            })
            .collect();
        for t in tasks {
            t.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
        }
        let rows = store.counters(CounterKind::Signup, day("2026-01-01")).await.map_err(|e| e.to_string())?;
        assert_eq!(rows.iter().map(|c| c.count).sum::<i64>(), 40, "{:?}", store.backend());
    }
    Ok(())
}

#[tokio::test]
async fn a_file_database_is_created_and_reopened_with_its_data() -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("demail.sqlite3").to_string_lossy().into_owned();
    {
        let store = Store::open(&path).await.map_err(|e| e.to_string())?;
        store.increment(day("2026-11-24"), CounterKind::Signup, "zaclys").await.map_err(|e| e.to_string())?;
    }
    let store = Store::open(&format!("sqlite://{path}")).await.map_err(|e| e.to_string())?;
    let rows = store.counters(CounterKind::Signup, day("2026-01-01")).await.map_err(|e| e.to_string())?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].count, 1);
    Ok(())
}

#[tokio::test]
async fn an_unreachable_postgres_gives_an_open_error_without_the_password() {
    let err = Store::open("postgres://demail:hunter2@127.0.0.1:1/demail").await.err();
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("cannot open the database postgres://demail:***@127.0.0.1:1/demail"), "{text}");
    assert!(!text.contains("hunter2"));
}
