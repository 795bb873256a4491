// PostgresStore's migrations. Append-only: never edit a migration that has
// shipped; add a new one. The tables mirror SQLite's (sqlite_store.cc) with
// PostgreSQL types: BIGINT for integers and times (microseconds since the
// epoch; NULL = not yet), BYTEA for binary, BOOLEAN for flags.
#ifndef TOKEND_CORE_STORE_POSTGRES_SCHEMA_H_
#define TOKEND_CORE_STORE_POSTGRES_SCHEMA_H_

namespace tokend::store::pg {

struct Migration {
  int version;
  const char* description;
  const char* sql;  // Several statements; run in the migration transaction.
};

inline constexpr Migration kMigrations[] = {
    {1, "keys, credentials, accounts, users, sessions, templates", R"sql(
CREATE TABLE signing_keys (
  kid             TEXT   NOT NULL PRIMARY KEY,
  slot            TEXT   NOT NULL,
  algorithm       TEXT   NOT NULL,
  state           TEXT   NOT NULL CHECK (state IN ('next', 'active', 'retired')),
  public_jwk      TEXT   NOT NULL,
  sealed_private  BYTEA  NOT NULL,
  created_at_us   BIGINT NOT NULL,
  activate_at_us  BIGINT NOT NULL,
  retired_at_us   BIGINT,
  delete_after_us BIGINT
);
-- At most one active signing key per slot, checked per statement.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (slot)
  WHERE state = 'active';

CREATE TABLE api_keys (
  id             TEXT   NOT NULL PRIMARY KEY,
  surface        TEXT   NOT NULL,
  name           TEXT   NOT NULL,
  display_prefix TEXT   NOT NULL,
  secret_hash    BYTEA  NOT NULL UNIQUE,
  created_at_us  BIGINT NOT NULL,
  revoked_at_us  BIGINT
);
CREATE INDEX api_keys_by_surface ON api_keys (surface, created_at_us, id);
CREATE INDEX api_keys_by_time ON api_keys (created_at_us, id);

CREATE TABLE service_accounts (
  id            TEXT   NOT NULL PRIMARY KEY,
  name          TEXT   NOT NULL,
  description   TEXT   NOT NULL,
  created_at_us BIGINT NOT NULL,
  deleted_at_us BIGINT
);
CREATE UNIQUE INDEX service_accounts_live_name ON service_accounts (name)
  WHERE deleted_at_us IS NULL;
CREATE INDEX service_accounts_by_time ON service_accounts (created_at_us, id);

CREATE TABLE sa_token_creators (
  account_id TEXT   NOT NULL REFERENCES service_accounts (id),
  position   BIGINT NOT NULL,
  subject_id TEXT   NOT NULL,
  PRIMARY KEY (account_id, position),
  UNIQUE (account_id, subject_id)
);

CREATE TABLE authorized_keys (
  id                 TEXT   NOT NULL PRIMARY KEY,
  service_account_id TEXT   NOT NULL REFERENCES service_accounts (id),
  description        TEXT   NOT NULL,
  key_algorithm      TEXT   NOT NULL,
  public_key_pem     TEXT   NOT NULL,
  created_at_us      BIGINT NOT NULL,
  deleted_at_us      BIGINT
);
CREATE INDEX authorized_keys_by_account
  ON authorized_keys (service_account_id, created_at_us, id);

-- account_id is any subject (service or user account): no foreign key.
CREATE TABLE oauth_tokens (
  id            TEXT   NOT NULL PRIMARY KEY,
  account_id    TEXT   NOT NULL,
  secret_hash   BYTEA  NOT NULL UNIQUE,
  created_at_us BIGINT NOT NULL,
  revoked_at_us BIGINT
);

CREATE TABLE revoked_tokens (
  jti           TEXT   NOT NULL PRIMARY KEY,
  subject_id    TEXT   NOT NULL,
  expires_at_us BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at_us, jti);

-- external_id and username are NULL when unset, so unset values never
-- collide; identifiers are unique among users not deleted.
CREATE TABLE users (
  id                       TEXT   NOT NULL PRIMARY KEY,
  external_id              TEXT,
  first_name               TEXT   NOT NULL,
  last_name                TEXT   NOT NULL,
  username                 TEXT,
  image_url                TEXT   NOT NULL,
  primary_email_address_id TEXT   NOT NULL,
  primary_phone_number_id  TEXT   NOT NULL,
  public_metadata          TEXT   NOT NULL,
  private_metadata         TEXT   NOT NULL,
  unsafe_metadata          TEXT   NOT NULL,
  created_at_us            BIGINT NOT NULL,
  updated_at_us            BIGINT NOT NULL,
  deleted_at_us            BIGINT
);
CREATE UNIQUE INDEX users_live_external_id ON users (external_id)
  WHERE deleted_at_us IS NULL;
CREATE UNIQUE INDEX users_live_username ON users (username)
  WHERE deleted_at_us IS NULL;

-- user_live copies "the user is not deleted": a partial index cannot look
-- at another table.
CREATE TABLE user_email_addresses (
  id            TEXT    NOT NULL PRIMARY KEY,
  user_id       TEXT    NOT NULL REFERENCES users (id),
  position      BIGINT  NOT NULL,
  email_address TEXT    NOT NULL,
  verified      BOOLEAN NOT NULL,
  user_live     BOOLEAN NOT NULL,
  UNIQUE (user_id, position)
);
-- Folds ASCII only, as SQLite's NOCASE does: lower() would follow the
-- database's locale.
CREATE UNIQUE INDEX user_email_addresses_live ON user_email_addresses
  (translate(email_address, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
             'abcdefghijklmnopqrstuvwxyz'))
  WHERE user_live;

CREATE TABLE user_phone_numbers (
  id           TEXT    NOT NULL PRIMARY KEY,
  user_id      TEXT    NOT NULL REFERENCES users (id),
  position     BIGINT  NOT NULL,
  phone_number TEXT    NOT NULL,
  verified     BOOLEAN NOT NULL,
  UNIQUE (user_id, position)
);

CREATE TABLE sessions (
  id                TEXT   NOT NULL PRIMARY KEY,
  user_id           TEXT   NOT NULL REFERENCES users (id),
  status            TEXT   NOT NULL
    CHECK (status IN ('active', 'revoked', 'ended', 'expired')),
  client_token_hash BYTEA  UNIQUE,   -- NULL: none (never found by hash)
  actor             TEXT   NOT NULL, -- '' or a JSON object
  created_at_us     BIGINT NOT NULL,
  updated_at_us     BIGINT NOT NULL,
  last_active_at_us BIGINT NOT NULL,
  expire_at_us      BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id, created_at_us DESC, id);
CREATE INDEX sessions_by_status ON sessions (status, created_at_us DESC, id);
CREATE INDEX sessions_by_time ON sessions (created_at_us DESC, id);

CREATE TABLE jwt_templates (
  id                         TEXT    NOT NULL PRIMARY KEY,
  name                       TEXT    NOT NULL UNIQUE,
  claims                     TEXT    NOT NULL,
  lifetime_seconds           BIGINT  NOT NULL,
  allowed_clock_skew_seconds BIGINT  NOT NULL,
  custom_signing_key         BOOLEAN NOT NULL,
  signing_algorithm          TEXT    NOT NULL, -- '' when none
  sealed_signing_key         BYTEA   NOT NULL, -- empty when none
  created_at_us              BIGINT  NOT NULL,
  updated_at_us              BIGINT  NOT NULL
);
)sql"},
    {2, "change feed", R"sql(
-- A sequence never hands out a number twice; under concurrent writers
-- numbers may commit out of order, which followers allow for.
CREATE TABLE changes (
  seq   BIGSERIAL NOT NULL PRIMARY KEY,
  kind  TEXT      NOT NULL,
  key   TEXT      NOT NULL,
  at_us BIGINT    NOT NULL
    DEFAULT (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT
);
CREATE INDEX changes_by_time ON changes (at_us);
)sql"},
    {3, "leases; at most one next signing key per slot", R"sql(
-- holder '' and expires_at_us 0: never held. token grows at each change of
-- hands (lease_store.h).
CREATE TABLE leases (
  name          TEXT   NOT NULL PRIMARY KEY,
  holder        TEXT   NOT NULL,
  token         BIGINT NOT NULL,
  expires_at_us BIGINT NOT NULL
);
-- Two replicas rotating one slot at once used to leave two next keys; the
-- keyring activates the latest-scheduled one, so the others, which never
-- signed, go.
DELETE FROM signing_keys WHERE state = 'next' AND EXISTS (
  SELECT 1 FROM signing_keys AS later
  WHERE later.slot = signing_keys.slot AND later.state = 'next' AND
    (later.activate_at_us, later.created_at_us, later.kid COLLATE "C") >
    (signing_keys.activate_at_us, signing_keys.created_at_us,
     signing_keys.kid COLLATE "C"));
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (slot)
  WHERE state = 'next';
)sql"},
    {4, "users keep a locale and when they accepted the legal terms", R"sql(
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN legal_accepted_at_us BIGINT;
)sql"},
};

}  // namespace tokend::store::pg

#endif  // TOKEND_CORE_STORE_POSTGRES_SCHEMA_H_
