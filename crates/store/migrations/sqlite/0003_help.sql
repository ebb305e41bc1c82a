-- Help requests, consents, events and the volunteers' backoffice.
-- Everything about one person hangs off their help request (or event registration) with
-- ON DELETE CASCADE, so that erasing that one row erases every row about them.

-- Per-site secrets (the key that signs form tokens), generated at first start.
CREATE TABLE site_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE admin_users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,          -- argon2id PHC string
    role          TEXT    NOT NULL,          -- 'admin' or 'volunteer'
    totp_secret   TEXT,
    created_at    INTEGER NOT NULL
);

CREATE TABLE admin_sessions (
    token_hash TEXT    PRIMARY KEY,          -- SHA-256 of the cookie value
    user_id    INTEGER NOT NULL REFERENCES admin_users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE help_requests (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    email          TEXT    NOT NULL,
    lang           TEXT    NOT NULL,
    need           TEXT    NOT NULL,
    channel        TEXT    NOT NULL,          -- 'mail', 'phone', 'in-person'
    region         TEXT    NOT NULL,          -- ISO 3166-2 code or ''
    context        TEXT    NOT NULL,          -- the short list the person chose to attach, or ''
    status         TEXT    NOT NULL,          -- 'pending' until confirmed, then 'new', 'assigned', …
    assignee       INTEGER REFERENCES admin_users (id) ON DELETE SET NULL,
    created_at     INTEGER NOT NULL,
    confirmed_at   INTEGER,
    last_action_at INTEGER NOT NULL
);
CREATE INDEX help_requests_status ON help_requests (status, created_at);

CREATE TABLE help_consents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id   INTEGER NOT NULL REFERENCES help_requests (id) ON DELETE CASCADE,
    purpose      TEXT    NOT NULL,            -- 'followup', 'news', 'partner:<id>'
    text_version TEXT    NOT NULL,
    wording      TEXT    NOT NULL,            -- the exact sentence shown next to the box
    given_at     INTEGER NOT NULL,
    withdrawn_at INTEGER
);

CREATE TABLE help_tokens (
    token_hash TEXT    PRIMARY KEY,           -- SHA-256 of the secret in the link
    request_id INTEGER NOT NULL REFERENCES help_requests (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,              -- 'confirm' or 'data'
    expires_at INTEGER
);

CREATE TABLE help_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES help_requests (id) ON DELETE CASCADE,
    status     TEXT    NOT NULL,
    by_user    INTEGER REFERENCES admin_users (id) ON DELETE SET NULL,
    at         INTEGER NOT NULL
);

CREATE TABLE help_notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES help_requests (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,              -- 'note', 'mail' (a reply sent), 'handover'
    author     INTEGER REFERENCES admin_users (id) ON DELETE SET NULL,
    body       TEXT    NOT NULL,
    at         INTEGER NOT NULL
);

-- Admin actions. A row about a help request names it in request_id, so erasing the request
-- erases its trail too; the rest (log-ins, catalogue changes) names no member of the public.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    user_id    INTEGER REFERENCES admin_users (id) ON DELETE SET NULL,
    action     TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    request_id INTEGER REFERENCES help_requests (id) ON DELETE CASCADE
);

-- A provider marked full / away / closed by a volunteer, shown on the public site.
CREATE TABLE provider_status (
    provider_id TEXT    PRIMARY KEY,
    status      TEXT    NOT NULL,             -- 'full', 'away', 'closed'
    note        TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  INTEGER REFERENCES admin_users (id) ON DELETE SET NULL
);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL,
    starts_at   INTEGER NOT NULL,
    minutes     INTEGER NOT NULL,
    place       TEXT    NOT NULL,
    online_url  TEXT    NOT NULL,
    capacity    INTEGER NOT NULL,
    lang        TEXT    NOT NULL,
    created_by  INTEGER REFERENCES admin_users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE event_registrations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    email        TEXT    NOT NULL,
    lang         TEXT    NOT NULL,
    status       TEXT    NOT NULL,            -- 'pending', 'confirmed', 'waiting' (a cancelled registration is deleted)
    consent_version TEXT  NOT NULL,            -- version of the consent sentence shown
    consent_wording TEXT  NOT NULL,            -- the exact sentence (proof while the row exists)
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    confirmed_at INTEGER,
    reminded_at  INTEGER
);
