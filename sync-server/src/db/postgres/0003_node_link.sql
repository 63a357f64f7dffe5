ALTER TABLE agency_leases ADD COLUMN address TEXT NOT NULL DEFAULT '';
CREATE TABLE cluster_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret BYTEA NOT NULL
);
