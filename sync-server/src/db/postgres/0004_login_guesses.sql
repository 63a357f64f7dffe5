-- Each password guess let through, under its account's key and its address's; it counts until
-- it leaves the login window, unless the password was right (then the account's are deleted).
CREATE TABLE login_guesses (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key TEXT NOT NULL,
    started_at BIGINT NOT NULL
);
CREATE INDEX login_guesses_key ON login_guesses (key, started_at);
CREATE INDEX login_guesses_started ON login_guesses (started_at);
