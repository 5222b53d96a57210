-- Practical tasks a team leader saw a member do herself (issue 10): one
-- row per member, course and task; withdrawn by deleting it.
CREATE TABLE confirmations (
  id        TEXT PRIMARY KEY,
  user_id   TEXT NOT NULL,
  course    TEXT NOT NULL,
  task      TEXT NOT NULL,
  team_id   TEXT NOT NULL,
  team_name TEXT NOT NULL,
  made_by   TEXT NOT NULL,
  at        INTEGER NOT NULL
);
CREATE INDEX confirmations_user ON confirmations(user_id, course, task);
