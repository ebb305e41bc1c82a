-- Migration jobs started from the site. Never a password here: single-node mode keeps
-- credentials in memory; multi-worker mode stores them sealed (`sealed`) and erases them when the
-- job ends. The job page's link token is stored only as its SHA-256 (`token_hash`).
CREATE TABLE jobs (
    id           BIGSERIAL PRIMARY KEY,
    token_hash   TEXT   NOT NULL UNIQUE,
    state        TEXT   NOT NULL,           -- draft, queued, running, paused, done, failed, cancelled, needs_credentials
    spec         TEXT   NOT NULL,           -- JSON: servers, user names, options; no secret
    sealed       TEXT,                      -- credentials sealed with the deployment key, or NULL
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_after    BIGINT NOT NULL,           -- Unix seconds: not claimed before (back-off)
    lease_owner  TEXT,
    lease_until  BIGINT,                    -- Unix seconds: the lease ends unless renewed
    requested    TEXT,                      -- pause or cancel, asked while running
    progress     TEXT,                      -- JSON snapshot, written at a throttled rate
    report       TEXT,                      -- JSON report once finished
    error        TEXT,                      -- last error, in words a person can act on
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL            -- Unix seconds: the row and its link are deleted after
);
CREATE INDEX jobs_claim ON jobs (state, run_after);
CREATE INDEX jobs_expiry ON jobs (expires_at);
