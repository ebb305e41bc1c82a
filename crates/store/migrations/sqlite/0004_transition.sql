-- "Turn the page" checklists kept under a private link. Only a hash of the link's token is
-- stored; nothing names the person. Rows are deleted when they expire (stated on the page).
CREATE TABLE transition_checklists (
    token_hash TEXT    PRIMARY KEY,  -- hex SHA-256 of the private link's token
    created_at INTEGER NOT NULL,     -- Unix seconds
    expires_at INTEGER NOT NULL      -- Unix seconds; deleted after this
);

CREATE TABLE transition_items (
    token_hash TEXT    NOT NULL REFERENCES transition_checklists (token_hash) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    label      TEXT    NOT NULL,     -- service name
    domain     TEXT    NOT NULL,
    link       TEXT    NOT NULL,     -- where to change the address
    status     TEXT    NOT NULL DEFAULT 'todo',  -- todo, done, not-needed, later
    PRIMARY KEY (token_hash, position)
);

CREATE INDEX transition_checklists_expiry ON transition_checklists (expires_at);
