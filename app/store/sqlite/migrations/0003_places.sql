-- Officials by place, households, and the figures of a place.

-- The household a leader put the person in ('' for none).
ALTER TABLE users ADD COLUMN household TEXT NOT NULL DEFAULT '';
CREATE INDEX users_household ON users(household) WHERE household <> '';
-- ScanPeople reads a province's people.
CREATE INDEX users_place ON users(province, commune);

-- A leader appointed by phone before she signed up, and the households the
-- leader recorded for the team's village.
ALTER TABLE teams ADD COLUMN leader_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE teams ADD COLUMN households INTEGER NOT NULL DEFAULT 0;
CREATE INDEX teams_awaiting ON teams(leader_phone) WHERE leader_phone <> '';
CREATE INDEX teams_commune ON teams(commune, name, id);
CREATE INDEX teams_province ON teams(province, commune, name);

-- ScanCertificates reads the certificates earned in a set of communes.
CREATE INDEX certificates_commune ON certificates(commune);

CREATE TABLE households (
	id      TEXT PRIMARY KEY,
	team_id TEXT NOT NULL,
	label   TEXT NOT NULL,
	created INTEGER NOT NULL
) STRICT;
CREATE INDEX households_team ON households(team_id, label, id);

CREATE TABLE grants (
	id       TEXT PRIMARY KEY, -- role:place:phone
	role     TEXT NOT NULL,
	place    TEXT NOT NULL,
	province TEXT NOT NULL,
	phone    TEXT NOT NULL,
	made_by  TEXT NOT NULL,
	at       INTEGER NOT NULL
) STRICT;
CREATE INDEX grants_phone ON grants(phone);
CREATE INDEX grants_place ON grants(province, role, place);

CREATE TABLE snapshots (
	id   TEXT PRIMARY KEY,
	body BLOB NOT NULL,
	at   INTEGER NOT NULL
) STRICT;
