package sqlite

import (
	"context"
	"fmt"
	"strings"

	"kynangso/app/store"
)

// Teams awaited, by commune and province

// AwaitTeamLeader appoints by phone a leader who has not signed up yet.
func (s *Store) AwaitTeamLeader(ctx context.Context, teamID, phone string) error {
	return s.update(ctx, "await team leader", "UPDATE teams SET leader_id = '', leader_phone = ? WHERE id = ?", phone, teamID)
}

// ClaimTeams hands every team awaiting phone to userID, in one statement.
func (s *Store) ClaimTeams(ctx context.Context, phone, userID string) ([]store.Team, error) {
	if phone == "" {
		return []store.Team{}, nil
	}
	return list(ctx, s.wr, "claim teams", scanTeam,
		"UPDATE teams SET leader_id = ?, leader_phone = '' WHERE leader_phone = ? RETURNING "+teamCols, userID, phone)
}

// TeamsIn lists a commune's teams by name, then code.
func (s *Store) TeamsIn(ctx context.Context, commune string, p store.Page) ([]store.Team, error) {
	limit, offset := p.Bounds()
	return list(ctx, s.rd, "list commune teams", scanTeam,
		"SELECT "+teamCols+" FROM teams WHERE commune = ? ORDER BY name, id LIMIT ? OFFSET ?", commune, limit, offset)
}

func (s *Store) CountTeamsIn(ctx context.Context, commune string) (int64, error) {
	return s.count(ctx, "count commune teams", "SELECT count(*) FROM teams WHERE commune = ?", commune)
}

// TeamsOfProvince lists a province's teams by commune, then name.
func (s *Store) TeamsOfProvince(ctx context.Context, province string) ([]store.Team, error) {
	return list(ctx, s.rd, "list province teams", scanTeam,
		"SELECT "+teamCols+" FROM teams WHERE province = ? ORDER BY commune, name, id", province)
}

func (s *Store) SetTeamHouseholds(ctx context.Context, teamID string, n int) error {
	return s.update(ctx, "set households", "UPDATE teams SET households = ? WHERE id = ?", n, teamID)
}

// Households

const householdCols = "id, team_id, label, created"

func scanHousehold(sc scanner, h *store.Household) error {
	var created int64
	if err := sc.Scan(&h.ID, &h.TeamID, &h.Label, &created); err != nil {
		return err
	}
	h.Created = fromMS(created)
	return nil
}

const insertHousehold = "INSERT INTO households (" + householdCols + ") VALUES (?,?,?,?)"

func householdArgs(h *store.Household) []any { return []any{h.ID, h.TeamID, h.Label, ms(h.Created)} }

func (s *Store) CreateHousehold(ctx context.Context, h *store.Household) error {
	_, err := s.exec(ctx, "create household", insertHousehold, householdArgs(h)...)
	return err
}

func (s *Store) Household(ctx context.Context, id string) (*store.Household, error) {
	h := new(store.Household)
	if err := scanHousehold(s.rd.QueryRowContext(ctx, "SELECT "+householdCols+" FROM households WHERE id = ?", id), h); err != nil {
		return nil, wrap("read household", err)
	}
	return h, nil
}

func (s *Store) Households(ctx context.Context, teamID string) ([]store.Household, error) {
	return list(ctx, s.rd, "list households", scanHousehold,
		"SELECT "+householdCols+" FROM households WHERE team_id = ? ORDER BY label, id LIMIT ?", teamID, store.MaxLimit)
}

func (s *Store) RenameHousehold(ctx context.Context, teamID, id, label string) error {
	return s.update(ctx, "rename household", "UPDATE households SET label = ? WHERE id = ? AND team_id = ?", label, id, teamID)
}

// DeleteHousehold removes the household and empties its members'
// household, in one transaction.
func (s *Store) DeleteHousehold(ctx context.Context, teamID, id string) error {
	return s.inTx(ctx, func(t *Store) error {
		if err := t.update(ctx, "delete household", "DELETE FROM households WHERE id = ? AND team_id = ?", id, teamID); err != nil {
			return err
		}
		_, err := t.exec(ctx, "empty household", "UPDATE users SET household = '' WHERE household = ?", id)
		return err
	})
}

// SetUserHousehold checks, in the statement itself, that the person is
// the team's and the household too.
func (s *Store) SetUserHousehold(ctx context.Context, teamID, userID, householdID string) error {
	return s.update(ctx, "set household", `UPDATE users SET household = ?
		WHERE id = ? AND team_id = ? AND (? = '' OR EXISTS (SELECT 1 FROM households WHERE id = ? AND team_id = ?))`,
		householdID, userID, teamID, householdID, householdID, teamID)
}

// Officials

const grantCols = "id, role, place, province, phone, made_by, at, user_id"

func scanGrant(sc scanner, g *store.Grant) error {
	var at int64
	if err := sc.Scan(&g.ID, &g.Role, &g.Place, &g.Province, &g.Phone, &g.By, &at, &g.UserID); err != nil {
		return err
	}
	g.At = fromMS(at)
	return nil
}

const insertGrant = "INSERT INTO grants (" + grantCols + ") VALUES (?,?,?,?,?,?,?,?)"

func grantArgs(g *store.Grant) []any {
	return []any{g.ID, g.Role, g.Place, g.Province, g.Phone, g.By, ms(g.At), g.UserID}
}

func (s *Store) PutGrant(ctx context.Context, g *store.Grant) (bool, error) {
	// ON CONFLICT, not OR IGNORE: only the id taken is "not new"; any
	// other constraint failing is an error.
	r, err := s.exec(ctx, "put grant", insertGrant+" ON CONFLICT (id) DO NOTHING", grantArgs(g)...)
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n == 1, wrap("put grant", err)
}

func (s *Store) DeleteGrant(ctx context.Context, id string) error {
	return s.update(ctx, "delete grant", "DELETE FROM grants WHERE id = ?", id)
}

func (s *Store) Grants(ctx context.Context, q store.GrantQuery) ([]store.Grant, error) {
	var where []string
	var args []any
	for _, f := range []struct{ col, v string }{{"role", q.Role}, {"place", q.Place}, {"province", q.Province}, {"phone", q.Phone}} {
		if f.v != "" {
			where = append(where, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	query := "SELECT " + grantCols + " FROM grants"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	return list(ctx, s.rd, "list grants", scanGrant, query+" ORDER BY at, id LIMIT ?", append(args, store.MaxLimit)...)
}

// Place statistics

// ScanPeople streams a province's people from one read.
func (s *Store) ScanPeople(ctx context.Context, province string, fn func(*store.PersonFact) error) error {
	query := "SELECT id, province, commune, team_id, household, created, last_active FROM users"
	var args []any
	if province != "" {
		query += " WHERE province = ?"
		args = append(args, province)
	}
	rows, err := s.rd.QueryContext(ctx, query, args...)
	if err != nil {
		return wrap("scan people", err)
	}
	defer rows.Close()
	var p store.PersonFact
	for rows.Next() {
		var created, active int64
		if err := rows.Scan(&p.ID, &p.Province, &p.Commune, &p.TeamID, &p.Household, &created, &active); err != nil {
			return wrap("scan people", err)
		}
		p.Created, p.LastActive = fromMS(created), fromMS(active)
		if err := fn(&p); err != nil {
			return err
		}
	}
	return wrap("scan people", rows.Err())
}

// ScanCertificates streams the certificates earned in communes, a chunk
// of communes per query.
func (s *Store) ScanCertificates(ctx context.Context, communes []string, fn func(*store.CertFact) error) error {
	const query = "SELECT user_id, course, commune, team_id, status, issued_at FROM certificates"
	scan := func(q string, args ...any) error {
		rows, err := s.rd.QueryContext(ctx, q, args...)
		if err != nil {
			return wrap("scan certificates", err)
		}
		defer rows.Close()
		var c store.CertFact
		for rows.Next() {
			var at int64
			if err := rows.Scan(&c.UserID, &c.Course, &c.Commune, &c.TeamID, &c.Status, &at); err != nil {
				return wrap("scan certificates", err)
			}
			c.IssuedAt = fromMS(at)
			if err := fn(&c); err != nil {
				return err
			}
		}
		return wrap("scan certificates", rows.Err())
	}
	if communes == nil {
		return scan(query)
	}
	return chunks(communes, func(part []string) error {
		in, args := inList(part)
		return scan(query+" WHERE commune IN ("+in+")", args...)
	})
}

// PutSnapshot inserts s unless its id is taken, then reads back what is
// stored: the first writer's body wins. (ON CONFLICT, not OR IGNORE,
// which would also skip a row failing NOT NULL without a word.)
func (s *Store) PutSnapshot(ctx context.Context, snap *store.Snapshot) (*store.Snapshot, error) {
	if _, err := s.exec(ctx, "put snapshot", insertSnapshot+" ON CONFLICT (id) DO NOTHING", snapshotArgs(snap)...); err != nil {
		return nil, err
	}
	return s.snapshotFrom(ctx, s.wr, snap.ID)
}

const insertSnapshot = "INSERT INTO snapshots (" + snapshotCols + ") VALUES (?,?,?)"

// snapshotArgs binds an empty body as an empty blob: a nil []byte would
// be NULL, which the column refuses.
func snapshotArgs(snap *store.Snapshot) []any {
	body := snap.Body
	if body == nil {
		body = []byte{}
	}
	return []any{snap.ID, body, ms(snap.At)}
}

func (s *Store) Snapshot(ctx context.Context, id string) (*store.Snapshot, error) {
	return s.snapshotFrom(ctx, s.rd, id)
}

func (s *Store) snapshotFrom(ctx context.Context, q querier, id string) (*store.Snapshot, error) {
	out := new(store.Snapshot)
	if err := scanSnapshot(q.QueryRowContext(ctx, "SELECT "+snapshotCols+" FROM snapshots WHERE id = ?", id), out); err != nil {
		return nil, wrap(fmt.Sprintf("read snapshot %s", id), err)
	}
	return out, nil
}

const snapshotCols = "id, body, at"

func scanSnapshot(sc scanner, snap *store.Snapshot) error {
	var at int64
	if err := sc.Scan(&snap.ID, &snap.Body, &at); err != nil {
		return err
	}
	snap.At = fromMS(at)
	return nil
}
