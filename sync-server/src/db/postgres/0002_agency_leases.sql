CREATE TABLE agency_leases (
    agency_id TEXT PRIMARY KEY,
    node TEXT NOT NULL,
    token BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
