-- Who typed the person's details for her when she registered with a team
-- leader beside her ("Đăng ký giúp"); '' when she signed up by herself.
ALTER TABLE users ADD COLUMN assisted_by TEXT NOT NULL DEFAULT '';
