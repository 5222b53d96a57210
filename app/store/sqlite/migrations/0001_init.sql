-- The first schema. Times are INTEGER milliseconds since the epoch (UTC),
-- 0 for none; nested values are JSON text. Every query the store runs has
-- an index here.

CREATE TABLE users (
	id              TEXT PRIMARY KEY,
	name            TEXT NOT NULL,
	name_folded     TEXT NOT NULL,
	phone           TEXT NOT NULL UNIQUE,
	password_hash   TEXT NOT NULL,
	role            TEXT NOT NULL,
	province        TEXT NOT NULL,
	commune         TEXT NOT NULL,
	team_id         TEXT NOT NULL DEFAULT '',
	consent_version TEXT NOT NULL,
	consent_at      INTEGER NOT NULL,
	created         INTEGER NOT NULL,
	last_active     INTEGER NOT NULL
) STRICT;
-- TeamMembers pages through a team by folded name, then id.
CREATE INDEX users_team ON users(team_id, name_folded, id);
CREATE INDEX users_role ON users(role);

CREATE TABLE sessions (
	id      TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires);

-- No foreign key to users: a team's leader may be appointed later, and a
-- leader who deletes their account leaves the team behind.
CREATE TABLE teams (
	id        TEXT PRIMARY KEY,
	name      TEXT NOT NULL,
	province  TEXT NOT NULL,
	commune   TEXT NOT NULL,
	leader_id TEXT NOT NULL DEFAULT '',
	created   INTEGER NOT NULL
) STRICT;
CREATE INDEX teams_leader ON teams(leader_id);
CREATE INDEX teams_created ON teams(created);

CREATE TABLE progress (
	id      TEXT PRIMARY KEY, -- user/course
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	course  TEXT NOT NULL,
	lessons TEXT NOT NULL DEFAULT '[]', -- JSON array of lesson ids
	best    INTEGER NOT NULL DEFAULT 0,
	passed  INTEGER NOT NULL DEFAULT 0,
	updated INTEGER NOT NULL
) STRICT;
CREATE INDEX progress_user ON progress(user_id);

CREATE TABLE attempts (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	course       TEXT NOT NULL,
	seed         INTEGER NOT NULL, -- the uint64's bits
	drawn        TEXT NOT NULL,    -- JSON
	created      INTEGER NOT NULL,
	submitted    INTEGER NOT NULL DEFAULT 0,
	submitted_at INTEGER NOT NULL DEFAULT 0,
	result       TEXT,             -- JSON, NULL until graded
	passed       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX attempts_user ON attempts(user_id, course, submitted);

-- No foreign key to users: a certificate outlives its holder's account
-- (ScrubCertificates empties user_id).
CREATE TABLE certificates (
	code           TEXT PRIMARY KEY,
	user_id        TEXT NOT NULL,
	course         TEXT NOT NULL,
	holder         TEXT NOT NULL,
	score          INTEGER NOT NULL,
	issued_at      INTEGER NOT NULL,
	team_id        TEXT NOT NULL DEFAULT '',
	team_name      TEXT NOT NULL DEFAULT '',
	commune        TEXT NOT NULL DEFAULT '',
	status         TEXT NOT NULL,
	revoked_at     INTEGER, -- NULL while valid
	revoke_reason  TEXT NOT NULL DEFAULT '',
	replaced_by    TEXT NOT NULL DEFAULT '',
	show_full_name INTEGER NOT NULL DEFAULT 0,
	status_index   INTEGER NOT NULL UNIQUE
) STRICT;
CREATE INDEX certificates_user ON certificates(user_id, course, issued_at);
CREATE INDEX certificates_team ON certificates(team_id, issued_at);
CREATE INDEX certificates_status ON certificates(status);
-- One valid certificate per learner and course, whatever the code does.
CREATE UNIQUE INDEX certificates_one_valid ON certificates(user_id, course)
	WHERE status = 'valid' AND user_id <> '';

CREATE TABLE verifications (
	id      TEXT PRIMARY KEY,
	code    TEXT NOT NULL,
	at      INTEGER NOT NULL,
	channel TEXT NOT NULL
) STRICT;
CREATE INDEX verifications_code ON verifications(code, at);

CREATE TABLE audit (
	id     TEXT PRIMARY KEY,
	at     INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_at ON audit(at);

CREATE TABLE resets (
	user_id  TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	hash     TEXT NOT NULL,
	expires  INTEGER NOT NULL,
	failures INTEGER NOT NULL DEFAULT 0,
	made_by  TEXT NOT NULL
) STRICT;
CREATE INDEX resets_expires ON resets(expires);

CREATE TABLE signing_keys (
	seq     INTEGER PRIMARY KEY,
	public  BLOB,
	sealed  BLOB,
	created INTEGER NOT NULL
) STRICT;

-- Fixed windows of the rate limiter, keyed "key@window-start".
CREATE TABLE ratelimit (
	key     TEXT PRIMARY KEY,
	n       INTEGER NOT NULL,
	expires INTEGER NOT NULL
) STRICT;
CREATE INDEX ratelimit_expires ON ratelimit(expires);

-- Internal bookkeeping.

-- settings holds the live setup token (key 'setup_token').
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

-- setup_uses records who used a setup token, so that the same person's
-- retry succeeds and anyone else's fails.
CREATE TABLE setup_uses (
	token TEXT PRIMARY KEY,
	phone TEXT NOT NULL
) STRICT;

-- revocations records each revocation decision as first made.
CREATE TABLE revocations (
	code        TEXT PRIMARY KEY,
	reason      TEXT NOT NULL,
	at          INTEGER NOT NULL,
	replacement TEXT -- JSON certificate, NULL for none
) STRICT;

-- counters: 'status_index' is the next status-list position to hand out.
CREATE TABLE counters (
	name TEXT PRIMARY KEY,
	n    INTEGER NOT NULL
) STRICT;
INSERT INTO counters(name, n) VALUES ('status_index', 0);
