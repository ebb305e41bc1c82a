-- Anonymous per-day counters: no person, no IP, no identifier; only what happened and how often.
CREATE TABLE daily_counters (
    day   TEXT   NOT NULL,          -- YYYY-MM-DD (UTC)
    kind  TEXT   NOT NULL,          -- e.g. 'signup', 'results', 'form'
    key   TEXT   NOT NULL,          -- e.g. a provider id or an answer profile
    count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, kind, key)
);
