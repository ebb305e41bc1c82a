//! "Turn the page" checklists under a private link: the services to update and where each one
//! stands. Stored by a hash of the link's token (the caller hashes), deleted when they expire.

use sqlx::Row;

use crate::{Store, StoreError};

/// Where one checklist item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    Todo,
    Done,
    NotNeeded,
    Later,
}

impl ItemStatus {
    /// Stored spelling (also the form value on the site).
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Todo => "todo",
            ItemStatus::Done => "done",
            ItemStatus::NotNeeded => "not-needed",
            ItemStatus::Later => "later",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<ItemStatus> {
        [ItemStatus::Todo, ItemStatus::Done, ItemStatus::NotNeeded, ItemStatus::Later]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// One service to update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistItem {
    pub label: String,
    pub domain: String,
    pub link: String,
    pub status: ItemStatus,
}

/// A stored checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checklist {
    pub created_at: i64,
    pub expires_at: i64,
    /// In the order given at creation.
    pub items: Vec<ChecklistItem>,
}

impl Store {
    /// Stores a new checklist under `token_hash`, to be deleted at `expires_at` (Unix seconds).
    /// Expired checklists are purged first.
    pub async fn create_checklist(
        &self,
        token_hash: &str,
        items: &[ChecklistItem],
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.purge_expired_checklists(now).await?;
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO transition_checklists (token_hash, created_at, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        for (position, item) in items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO transition_items (token_hash, position, label, domain, link, status)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(token_hash)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(&item.label)
            .bind(&item.domain)
            .bind(&item.link)
            .bind(item.status.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The checklist under `token_hash`, unless it does not exist or has expired.
    pub async fn checklist(&self, token_hash: &str, now: i64) -> Result<Option<Checklist>, StoreError> {
        let head = sqlx::query(
            "SELECT created_at, expires_at FROM transition_checklists WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        let Some(head) = head else { return Ok(None) };
        let rows = sqlx::query(
            "SELECT label, domain, link, status FROM transition_items WHERE token_hash = $1 ORDER BY position",
        )
        .bind(token_hash)
        .fetch_all(self.pool())
        .await?;
        let items = rows
            .into_iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                Ok(ChecklistItem {
                    label: r.try_get("label")?,
                    domain: r.try_get("domain")?,
                    link: r.try_get("link")?,
                    status: ItemStatus::parse(&status).unwrap_or(ItemStatus::Todo),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(Some(Checklist {
            created_at: head.try_get("created_at")?,
            expires_at: head.try_get("expires_at")?,
            items,
        }))
    }

    /// Sets the status of item `position` (0-based); false if there is no such live item.
    pub async fn set_checklist_item(
        &self,
        token_hash: &str,
        position: i64,
        status: ItemStatus,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE transition_items SET status = $1 WHERE token_hash = $2 AND position = $3
             AND token_hash IN (SELECT token_hash FROM transition_checklists WHERE expires_at > $4)",
        )
        .bind(status.as_str())
        .bind(token_hash)
        .bind(position)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a checklist now; false if there was none.
    pub async fn delete_checklist(&self, token_hash: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM transition_items WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM transition_checklists WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes every checklist whose retention has passed; returns how many.
    pub async fn purge_expired_checklists(&self, now: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "DELETE FROM transition_items WHERE token_hash IN
             (SELECT token_hash FROM transition_checklists WHERE expires_at <= $1)",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM transition_checklists WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}
