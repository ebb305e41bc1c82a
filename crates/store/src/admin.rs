//! The volunteers' backoffice: accounts, sessions (token hashes only), the audit log, and
//! catalogue status overrides.

use sqlx::{FromRow, Row};

use crate::{Store, StoreError};

/// A backoffice account (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AdminUser {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub totp_secret: Option<String>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub at: i64,
    pub username: Option<String>,
    pub action: String,
    pub detail: String,
    pub request_id: Option<i64>,
}

/// A provider marked full, away or closed by a volunteer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProviderStatus {
    pub provider_id: String,
    pub status: String,
    pub note: String,
    pub updated_at: i64,
}

impl Store {
    /// Creates an account, or replaces the password and role of an existing one; returns its id.
    pub async fn upsert_admin_user(
        &self,
        username: &str,
        password_hash: &str,
        role: &str,
        totp_secret: Option<&str>,
        now: i64,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO admin_users (username, password_hash, role, totp_secret, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (username) DO UPDATE SET password_hash = $2, role = $3, totp_secret = $4
             RETURNING id",
        )
        .bind(username)
        .bind(password_hash)
        .bind(role)
        .bind(totp_secret)
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("id")?)
    }

    /// An account and its password hash, by user name.
    pub async fn admin_user_for_login(
        &self,
        username: &str,
    ) -> Result<Option<(AdminUser, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, username, role, totp_secret, password_hash FROM admin_users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(self.pool())
        .await?;
        Ok(row
            .map(|r| Ok::<_, sqlx::Error>((AdminUser::from_row(&r)?, r.try_get("password_hash")?)))
            .transpose()?)
    }

    /// All accounts, by name.
    pub async fn admin_users(&self) -> Result<Vec<AdminUser>, StoreError> {
        let rows = sqlx::query("SELECT id, username, role, totp_secret FROM admin_users ORDER BY username")
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(AdminUser::from_row).collect::<Result<_, _>>()?)
    }

    /// Opens a session for `user_id` until `expires_at`.
    pub async fn create_admin_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO admin_sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The account of a live session.
    pub async fn admin_session(&self, token_hash: &str, now: i64) -> Result<Option<AdminUser>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.role, u.totp_secret FROM admin_sessions s
             JOIN admin_users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(AdminUser::from_row).transpose()?)
    }

    /// Ends a session (log-out), and drops expired ones.
    pub async fn end_admin_session(&self, token_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1 OR expires_at <= $2")
            .bind(token_hash)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records an admin action; `request_id` ties the line to a help request (erased with it).
    pub async fn audit(
        &self,
        user_id: Option<i64>,
        action: &str,
        detail: &str,
        request_id: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at, user_id, action, detail, request_id) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(now)
        .bind(user_id)
        .bind(action)
        .bind(detail)
        .bind(request_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The latest `limit` audit lines, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT a.at, u.username, a.action, a.detail, a.request_id FROM audit_log a
             LEFT JOIN admin_users u ON u.id = a.user_id ORDER BY a.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Marks a provider full / away / closed, or (status `open`) removes the mark.
    pub async fn set_provider_status(
        &self,
        provider_id: &str,
        status: &str,
        note: &str,
        by: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        if status == "open" {
            sqlx::query("DELETE FROM provider_status WHERE provider_id = $1")
                .bind(provider_id)
                .execute(self.pool())
                .await?;
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO provider_status (provider_id, status, note, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (provider_id) DO UPDATE SET status = $2, note = $3, updated_at = $4, updated_by = $5",
        )
        .bind(provider_id)
        .bind(status)
        .bind(note)
        .bind(now)
        .bind(by)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Every provider status override.
    pub async fn provider_statuses(&self) -> Result<Vec<ProviderStatus>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT provider_id, status, note, updated_at FROM provider_status ORDER BY provider_id",
        )
        .fetch_all(self.pool())
        .await?)
    }
}
