//! Transition checklists behave the same on SQLite and PostgreSQL, and vanish when they expire.

use demail_store::testing::both_backends;
use demail_store::{ChecklistItem, ItemStatus};

fn item(label: &str) -> ChecklistItem {
    ChecklistItem {
        label: label.into(),
        domain: format!("{}.example", label.to_lowercase()),
        link: format!("https://{}.example/.well-known/change-password", label.to_lowercase()),
        status: ItemStatus::Todo,
    }
}

#[tokio::test]
async fn checklists_keep_statuses_until_they_expire_on_both_backends() -> Result<(), String> {
    let backends = both_backends().await?;
    for store in &backends.stores {
        let e = |e: demail_store::StoreError| format!("{:?}: {e}", store.backend());
        store.create_checklist("h1", &[item("Shop"), item("Bank")], 1_000, 2_000).await.map_err(e)?;
        store.create_checklist("h2", &[item("Other")], 1_000, 1_500).await.map_err(e)?;
        assert!(store.set_checklist_item("h1", 1, ItemStatus::Done, 1_100).await.map_err(e)?);
        assert!(!store.set_checklist_item("h1", 7, ItemStatus::Done, 1_100).await.map_err(e)?, "no item 7");
        assert!(!store.set_checklist_item("nope", 0, ItemStatus::Done, 1_100).await.map_err(e)?);
        let list = store.checklist("h1", 1_100).await.map_err(e)?.ok_or("h1 missing")?;
        let got: Vec<(&str, ItemStatus)> = list.items.iter().map(|i| (i.label.as_str(), i.status)).collect();
        assert_eq!(
            got,
            vec![("Shop", ItemStatus::Todo), ("Bank", ItemStatus::Done)],
            "{:?}",
            store.backend()
        );
        assert_eq!((list.created_at, list.expires_at), (1_000, 2_000));
        // After its retention a checklist is gone, and the next creation purges it for good.
        assert_eq!(store.checklist("h2", 1_600).await.map_err(e)?, None);
        assert!(!store.set_checklist_item("h2", 0, ItemStatus::Done, 1_600).await.map_err(e)?);
        assert_eq!(store.purge_expired_checklists(1_600).await.map_err(e)?, 1);
        assert!(store.delete_checklist("h1").await.map_err(e)?);
        assert_eq!(store.checklist("h1", 1_100).await.map_err(e)?, None);
        assert!(!store.delete_checklist("h1").await.map_err(e)?);
    }
    Ok(())
}
