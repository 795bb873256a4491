-- A tokend SQLite database at schema version 2, as written by SqliteStore
-- before migration 3 (users, sessions, JWT templates) existed: produced by the
-- version-2 sqlite_store_test (SqliteStoreIamTest.NewTablesSurviveReopen and
-- SqliteStoreTest.ReopenPersists, rows merged, one OAuth token, one revoked
-- token and one token creator added) and `sqlite3 db .dump`. Never regenerate
-- it with a newer binary: it stands for files already in the field.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, description TEXT NOT NULL, applied_at_us INTEGER NOT NULL) STRICT;
INSERT INTO schema_migrations VALUES(1,'signing keys and API keys',1795341077545217);
INSERT INTO schema_migrations VALUES(2,'service accounts, authorized keys, OAuth tokens, revoked tokens',1795341077557142);
CREATE TABLE signing_keys (
  kid             TEXT    NOT NULL PRIMARY KEY,
  slot            TEXT    NOT NULL,
  algorithm       TEXT    NOT NULL,
  state           TEXT    NOT NULL CHECK (state IN ('next', 'active', 'retired')),
  public_jwk      TEXT    NOT NULL,
  sealed_private  BLOB    NOT NULL,
  created_at_us   INTEGER NOT NULL,
  activate_at_us  INTEGER,          -- NULL: never
  retired_at_us   INTEGER,          -- NULL: not retired
  delete_after_us INTEGER           -- NULL: not retired
) STRICT;
INSERT INTO signing_keys VALUES('k1','iam','ES256','active','{"kty":"EC","kid":"k1"}',X'0100ff207365616c6564',1700000000000000,1700000900000000,NULL,NULL);
CREATE TABLE api_keys (
  id             TEXT    NOT NULL PRIMARY KEY,
  surface        TEXT    NOT NULL,
  name           TEXT    NOT NULL,
  display_prefix TEXT    NOT NULL,
  secret_hash    BLOB    NOT NULL UNIQUE,
  created_at_us  INTEGER NOT NULL,
  revoked_at_us  INTEGER            -- NULL: valid
) STRICT;
INSERT INTO api_keys VALUES('ak_1','admin','name of ak_1','sk_ab',X'00000000000000000000000000000000000000000000000000000000000000616b5f31',1700000000000000,1700000000000000);
CREATE TABLE service_accounts (
  id            TEXT    NOT NULL PRIMARY KEY,
  name          TEXT    NOT NULL,
  description   TEXT    NOT NULL,
  created_at_us INTEGER NOT NULL,
  deleted_at_us INTEGER            -- NULL: not deleted
) STRICT;
INSERT INTO service_accounts VALUES('sa1','name-sa1','about sa1',1700000000000000,NULL);
CREATE TABLE sa_token_creators (
  account_id TEXT    NOT NULL REFERENCES service_accounts (id),
  position   INTEGER NOT NULL,
  subject_id TEXT    NOT NULL,
  PRIMARY KEY (account_id, position),
  UNIQUE (account_id, subject_id)
) STRICT;
INSERT INTO sa_token_creators VALUES('sa1',0,'user-1');
CREATE TABLE authorized_keys (
  id                 TEXT    NOT NULL PRIMARY KEY,
  service_account_id TEXT    NOT NULL REFERENCES service_accounts (id),
  description        TEXT    NOT NULL,
  key_algorithm      TEXT    NOT NULL,
  public_key_pem     TEXT    NOT NULL,
  created_at_us      INTEGER NOT NULL,
  deleted_at_us      INTEGER            -- NULL: not deleted
) STRICT;
INSERT INTO authorized_keys VALUES('k1','sa1','key k1','RSA_2048',replace('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n','\n',char(10)),1700000000000000,NULL);
CREATE TABLE oauth_tokens (
  id            TEXT    NOT NULL PRIMARY KEY,
  account_id    TEXT    NOT NULL,
  secret_hash   BLOB    NOT NULL UNIQUE,
  created_at_us INTEGER NOT NULL,
  revoked_at_us INTEGER            -- NULL: valid
) STRICT;
INSERT INTO oauth_tokens VALUES('oat_1','sa1',X'00112233',1700000000000000,NULL);
CREATE TABLE revoked_tokens (
  jti           TEXT    NOT NULL PRIMARY KEY,
  subject_id    TEXT    NOT NULL,
  expires_at_us INTEGER NOT NULL
) STRICT;
INSERT INTO revoked_tokens VALUES('jti-1','sa1',1700003600000000);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (slot)
  WHERE state = 'active';
CREATE INDEX api_keys_by_surface ON api_keys (surface, created_at_us, id);
CREATE UNIQUE INDEX service_accounts_live_name ON service_accounts (name)
  WHERE deleted_at_us IS NULL;
CREATE INDEX service_accounts_by_time ON service_accounts (created_at_us, id);
CREATE INDEX authorized_keys_by_account
  ON authorized_keys (service_account_id, created_at_us, id);
CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at_us);
COMMIT;
