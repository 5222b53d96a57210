package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"kynangso/app/store"
)

// Users

const userCols = "id, name, name_folded, phone, password_hash, role, province, commune, team_id, household, consent_version, consent_at, created, last_active, assisted_by"

const userByIDQuery = "SELECT " + userCols + " FROM users WHERE id = ?"

func scanUser(sc scanner, u *store.User) error {
	var consentAt, created, lastActive int64
	if err := sc.Scan(&u.ID, &u.Name, &u.NameFolded, &u.Phone, &u.PasswordHash, &u.Role, &u.Province, &u.Commune,
		&u.TeamID, &u.Household, &u.Consent.Version, &consentAt, &created, &lastActive, &u.Consent.AssistedBy); err != nil {
		return err
	}
	u.Consent.At, u.Created, u.LastActive = fromMS(consentAt), fromMS(created), fromMS(lastActive)
	return nil
}

const insertUser = "INSERT INTO users (" + userCols + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"

func userArgs(u *store.User) []any {
	return []any{u.ID, u.Name, u.NameFolded, u.Phone, u.PasswordHash, u.Role, u.Province, u.Commune,
		u.TeamID, u.Household, u.Consent.Version, ms(u.Consent.At), ms(u.Created), ms(u.LastActive), u.Consent.AssistedBy}
}

// CreateUser inserts u; ErrDuplicate when the phone (or id) is taken.
func (s *Store) CreateUser(ctx context.Context, u *store.User) error {
	_, err := s.exec(ctx, "create user", insertUser, userArgs(u)...)
	return err
}

// UserByID returns a user; on every request, so through a prepared
// statement outside a transaction.
func (s *Store) UserByID(ctx context.Context, id string) (*store.User, error) {
	u := new(store.User)
	var err error
	if s.tx != nil {
		err = scanUser(s.tx.QueryRowContext(ctx, userByIDQuery, id), u)
	} else {
		s.db.reads.Add(1)
		err = scanUser(s.db.userByID.QueryRowContext(ctx, id), u)
	}
	if err != nil {
		return nil, wrap("read user", err)
	}
	return u, nil
}

// UserByPhone finds a user by normalised phone number.
func (s *Store) UserByPhone(ctx context.Context, phone string) (*store.User, error) {
	u := new(store.User)
	if err := scanUser(s.rd.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE phone = ?", phone), u); err != nil {
		return nil, wrap("read user", err)
	}
	return u, nil
}

// UsersByIDs returns the users that exist among ids, by id: one query per
// chunk of ids.
func (s *Store) UsersByIDs(ctx context.Context, ids []string) (map[string]*store.User, error) {
	out := make(map[string]*store.User, len(ids))
	err := chunks(ids, func(part []string) error {
		in, args := inList(part)
		got, err := list(ctx, s.rd, "read users", scanUser, "SELECT "+userCols+" FROM users WHERE id IN ("+in+")", args...)
		for i := range got {
			out[got[i].ID] = &got[i]
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetUserRole changes a user's role; ErrNotFound if there is no such user.
func (s *Store) SetUserRole(ctx context.Context, id, role string) error {
	return s.update(ctx, "set role", "UPDATE users SET role = ? WHERE id = ?", role, id)
}

// SetUserTeam puts a user in a team.
func (s *Store) SetUserTeam(ctx context.Context, id, teamID string) error {
	return s.update(ctx, "set team", "UPDATE users SET team_id = ?, household = CASE WHEN team_id = ? THEN household ELSE '' END WHERE id = ?", teamID, teamID, id)
}

// LeaveTeam takes a person out of their team.
func (s *Store) LeaveTeam(ctx context.Context, id string) error {
	return s.update(ctx, "leave team", "UPDATE users SET team_id = '', household = '' WHERE id = ?", id)
}

// SetUserName corrects a user's name.
func (s *Store) SetUserName(ctx context.Context, id, name, folded string) error {
	return s.update(ctx, "set name", "UPDATE users SET name = ?, name_folded = ? WHERE id = ?", name, folded, id)
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, id, hash string) error {
	return s.update(ctx, "set password", "UPDATE users SET password_hash = ? WHERE id = ?", hash, id)
}

// TouchUser records activity; it never moves LastActive backwards.
func (s *Store) TouchUser(ctx context.Context, id string, at time.Time) error {
	return s.update(ctx, "touch user", "UPDATE users SET last_active = max(last_active, ?) WHERE id = ?", ms(at), id)
}

// TeamMembers lists a team's members by folded name, then id.
func (s *Store) TeamMembers(ctx context.Context, teamID string, p store.Page) ([]store.User, error) {
	limit, offset := p.Bounds()
	return list(ctx, s.rd, "list team members", scanUser,
		"SELECT "+userCols+" FROM users WHERE team_id = ? ORDER BY name_folded, id LIMIT ? OFFSET ?", teamID, limit, offset)
}

// CountAdmins counts administrators.
func (s *Store) CountAdmins(ctx context.Context) (int64, error) {
	return s.count(ctx, "count admins", "SELECT count(*) FROM users WHERE role = ?", store.RoleAdmin)
}

// DeleteUserData erases a person's own records, the user record last, in
// one transaction. The foreign keys would cascade from users alone; the
// explicit deletes keep the order the contract names, step by step.
func (s *Store) DeleteUserData(ctx context.Context, userID string) error {
	return s.inTx(ctx, func(t *Store) error {
		for _, d := range []struct{ table, column string }{
			{"sessions", "user_id"}, {"progress", "user_id"}, {"attempts", "user_id"}, {"confirmations", "user_id"}, {"resets", "user_id"}, {"users", "id"},
		} {
			if _, err := t.exec(ctx, "delete "+d.table, "DELETE FROM "+d.table+" WHERE "+d.column+" = ?", userID); err != nil {
				return err
			}
			if d.table != "users" {
				if err := store.Step(ctx, "sqlite.DeleteUserData."+d.table); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Sessions

const sessionByIDQuery = "SELECT id, user_id, created, expires FROM sessions WHERE id = ? AND expires >= ?"

func scanSession(sc scanner, ss *store.Session) error {
	var created, expires int64
	if err := sc.Scan(&ss.ID, &ss.UserID, &created, &expires); err != nil {
		return err
	}
	ss.Created, ss.Expires = fromMS(created), fromMS(expires)
	return nil
}

// CreateSession stores a session; ErrNotFound if its user does not exist.
func (s *Store) CreateSession(ctx context.Context, ss *store.Session) error {
	_, err := s.exec(ctx, "create session", "INSERT INTO sessions (id, user_id, created, expires) VALUES (?,?,?,?)",
		ss.ID, ss.UserID, ms(ss.Created), ms(ss.Expires))
	return err
}

// SessionByID returns a session that has not expired at now; on every
// request, so through a prepared statement outside a transaction. An
// expired one is left for Sweep: deleting it here would make a read write.
func (s *Store) SessionByID(ctx context.Context, id string, now time.Time) (*store.Session, error) {
	ss := new(store.Session)
	var err error
	if s.tx != nil {
		err = scanSession(s.tx.QueryRowContext(ctx, sessionByIDQuery, id, ms(now)), ss)
	} else {
		s.db.reads.Add(1)
		err = scanSession(s.db.sessionByID.QueryRowContext(ctx, id, ms(now)), ss)
	}
	if err != nil {
		return nil, wrap("read session", err)
	}
	return ss, nil
}

var sessionUserQuery = "SELECT s.id, s.user_id, s.created, s.expires, " + userColsOfU +
	" FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ? AND s.expires >= ?"

// userColsOfU is userCols of the users table aliased u.
var userColsOfU = "u." + strings.ReplaceAll(userCols, ", ", ", u.")

// SessionUser reads a live session with its user: one query instead of
// two on every signed-in request.
func (s *Store) SessionUser(ctx context.Context, id string, now time.Time) (*store.Session, *store.User, error) {
	var row *sql.Row
	if s.tx != nil {
		row = s.tx.QueryRowContext(ctx, sessionUserQuery, id, ms(now))
	} else {
		s.db.reads.Add(1)
		row = s.db.sessionUser.QueryRowContext(ctx, id, ms(now))
	}
	ss, u := new(store.Session), new(store.User)
	var created, expires, consentAt, uCreated, lastActive int64
	err := row.Scan(&ss.ID, &ss.UserID, &created, &expires,
		&u.ID, &u.Name, &u.NameFolded, &u.Phone, &u.PasswordHash, &u.Role, &u.Province, &u.Commune,
		&u.TeamID, &u.Household, &u.Consent.Version, &consentAt, &uCreated, &lastActive, &u.Consent.AssistedBy)
	if err != nil {
		return nil, nil, wrap("read session", err)
	}
	ss.Created, ss.Expires = fromMS(created), fromMS(expires)
	u.Consent.At, u.Created, u.LastActive = fromMS(consentAt), fromMS(uCreated), fromMS(lastActive)
	return ss, u, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.exec(ctx, "delete session", "DELETE FROM sessions WHERE id = ?", id)
	return err
}

// DeleteUserSessions ends every session of a user.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.exec(ctx, "delete sessions", "DELETE FROM sessions WHERE user_id = ?", userID)
	return err
}

// Teams

const teamCols = "id, name, province, commune, leader_id, leader_phone, households, created"

func scanTeam(sc scanner, t *store.Team) error {
	var created int64
	if err := sc.Scan(&t.ID, &t.Name, &t.Province, &t.Commune, &t.LeaderID, &t.LeaderPhone, &t.Households, &created); err != nil {
		return err
	}
	t.Created = fromMS(created)
	return nil
}

const insertTeam = "INSERT INTO teams (" + teamCols + ") VALUES (?,?,?,?,?,?,?,?)"

func teamArgs(t *store.Team) []any {
	return []any{t.ID, t.Name, t.Province, t.Commune, t.LeaderID, t.LeaderPhone, t.Households, ms(t.Created)}
}

// CreateTeam inserts t; ErrDuplicate when its code is taken.
func (s *Store) CreateTeam(ctx context.Context, t *store.Team) error {
	_, err := s.exec(ctx, "create team", insertTeam, teamArgs(t)...)
	return err
}

// Team returns a team by its code.
func (s *Store) Team(ctx context.Context, id string) (*store.Team, error) {
	t := new(store.Team)
	if err := scanTeam(s.rd.QueryRowContext(ctx, "SELECT "+teamCols+" FROM teams WHERE id = ?", id), t); err != nil {
		return nil, wrap("read team", err)
	}
	return t, nil
}

// Teams lists teams, newest first; of two made in the same millisecond,
// the one inserted last.
func (s *Store) Teams(ctx context.Context, p store.Page) ([]store.Team, error) {
	limit, offset := p.Bounds()
	return list(ctx, s.rd, "list teams", scanTeam,
		"SELECT "+teamCols+" FROM teams ORDER BY created DESC, rowid DESC LIMIT ? OFFSET ?", limit, offset)
}

// CountTeams counts teams.
func (s *Store) CountTeams(ctx context.Context) (int64, error) {
	return s.count(ctx, "count teams", "SELECT count(*) FROM teams")
}

// TeamsLedBy lists the teams a user leads, oldest first.
func (s *Store) TeamsLedBy(ctx context.Context, userID string) ([]store.Team, error) {
	return list(ctx, s.rd, "list teams led", scanTeam,
		"SELECT "+teamCols+" FROM teams WHERE leader_id = ? ORDER BY created, rowid", userID)
}

// SetTeamLeader appoints a leader; ErrNotFound if there is no such team.
func (s *Store) SetTeamLeader(ctx context.Context, teamID, userID string) error {
	return s.update(ctx, "set team leader", "UPDATE teams SET leader_id = ?, leader_phone = '' WHERE id = ?", userID, teamID)
}

// TeamCounts counts members and valid certificates of each team in ids:
// one grouped query per counted thing and chunk of ids.
func (s *Store) TeamCounts(ctx context.Context, ids []string) (map[string]store.TeamCounts, error) {
	out := map[string]store.TeamCounts{}
	err := chunks(ids, func(part []string) error {
		in, args := inList(part)
		for _, q := range []struct {
			query string
			add   func(c *store.TeamCounts, n int64)
		}{
			{"SELECT team_id, count(*) FROM users WHERE team_id IN (" + in + ") GROUP BY team_id",
				func(c *store.TeamCounts, n int64) { c.Members = n }},
			{"SELECT team_id, count(*) FROM certificates WHERE team_id IN (" + in + ") AND status = 'valid' GROUP BY team_id",
				func(c *store.TeamCounts, n int64) { c.Certificates = n }},
		} {
			rows, err := s.rd.QueryContext(ctx, q.query, args...)
			if err != nil {
				return wrap("count team", err)
			}
			for rows.Next() {
				var id string
				var n int64
				if err := rows.Scan(&id, &n); err != nil {
					rows.Close()
					return wrap("count team", err)
				}
				c := out[id]
				q.add(&c, n)
				out[id] = c
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return wrap("count team", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
