-- The support desk's assisted MFA reset (DESIGN.md, "Support-assisted reset").

-- Who may ask the desk for a reset: one authorized officer (when no row says
-- otherwise, the organization's first owner) and up to three technical contacts.
CREATE TABLE authorized_contacts (
    org_id    BIGINT NOT NULL REFERENCES organizations(id),
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    added_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX authorized_contacts_user ON authorized_contacts (user_id);

-- The card on file, as keyed hashes: the desk learns match / no match only.
CREATE TABLE billing_cards (
    org_id       BIGINT PRIMARY KEY REFERENCES organizations(id),
    last4_hash   BLOB NOT NULL,
    expiry_hash  BLOB NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- A reset request. state is what people did (open, escalated, denied,
-- issued, cancelled); an issued request's pass is cooling off, active, used
-- or expired by its times. live_target holds target_id while the request is
-- unfinished, so a second one for the same person is refused by the index.
CREATE TABLE support_requests (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id           BIGINT NOT NULL REFERENCES organizations(id),
    target_id        BIGINT NOT NULL REFERENCES users(id),
    requester_id     BIGINT NOT NULL REFERENCES users(id),
    filed_by         BIGINT NOT NULL REFERENCES users(id),
    channel          TEXT NOT NULL,
    reference        TEXT NOT NULL,
    note             TEXT NOT NULL,
    state            TEXT NOT NULL,
    live_target      BIGINT UNIQUE,
    failed_checks    BIGINT NOT NULL DEFAULT 0,
    escalated_by     BIGINT REFERENCES users(id),
    issued_by        BIGINT REFERENCES users(id),
    pass_active_at   BIGINT,
    pass_expires_at  BIGINT,
    pass_used_at     BIGINT,
    reported_at      BIGINT,
    created_at       BIGINT NOT NULL
);
CREATE INDEX support_requests_org ON support_requests (org_id, created_at);
CREATE INDEX support_requests_target ON support_requests (target_id, created_at);
CREATE INDEX support_requests_state ON support_requests (state, created_at);

-- Every identity check: method, result, agent, time — never the value typed.
CREATE TABLE support_checks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  BIGINT NOT NULL REFERENCES support_requests(id),
    method      TEXT NOT NULL,
    passed      BIGINT NOT NULL,
    agent_id    BIGINT NOT NULL REFERENCES users(id),
    note        TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX support_checks_request ON support_checks (request_id);

-- A request's timeline (also written to the target organization's audit chain).
CREATE TABLE support_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  BIGINT NOT NULL REFERENCES support_requests(id),
    at          BIGINT NOT NULL,
    actor_id    BIGINT REFERENCES users(id),
    event       TEXT NOT NULL,
    details     TEXT NOT NULL
);
CREATE INDEX support_events_request ON support_events (request_id, id);

-- "This wasn't me" links, one per person told about an issued pass.
CREATE TABLE support_cancel_links (
    token_hash  BLOB PRIMARY KEY,
    request_id  BIGINT NOT NULL REFERENCES support_requests(id),
    email       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX support_cancel_links_request ON support_cancel_links (request_id);

-- The request a support code was used for (it binds to one request).
ALTER TABLE support_codes ADD COLUMN request_id BIGINT;
-- The target's last sign-in with an existing factor: "the lost phone still works".
ALTER TABLE users ADD COLUMN last_factor_sign_in_at BIGINT;
