-- Appointments by phone are taken up with a one-time claim code that the
-- appointer gives the appointee in person, no longer by whoever signs up
-- first with the number (phones are not verified). A grant names the
-- account that holds it; a grant whose phone has an account by now was
-- taken up already (at sign-up or at once), the others wait for a code.
ALTER TABLE grants ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
UPDATE grants SET user_id = coalesce((SELECT id FROM users WHERE users.phone = grants.phone), '');

-- One code per appointment ('grant:<grant id>' or 'team:<team id>'),
-- the newest; only its hash.
CREATE TABLE claim_codes (
	id      TEXT PRIMARY KEY,
	phone   TEXT NOT NULL,
	hash    TEXT NOT NULL,
	expires INTEGER NOT NULL,
	made_by TEXT NOT NULL,
	made    INTEGER NOT NULL
) STRICT;
CREATE INDEX claim_codes_phone ON claim_codes(phone, expires);
CREATE INDEX claim_codes_expires ON claim_codes(expires);
