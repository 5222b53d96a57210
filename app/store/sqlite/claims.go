package sqlite

import (
	"context"
	"time"

	"kynangso/app/store"
)

// Appointments taken up with a claim code

// ClaimGrant gives a waiting grant to userID, in one statement.
func (s *Store) ClaimGrant(ctx context.Context, id, userID string) error {
	return s.update(ctx, "claim grant", "UPDATE grants SET user_id = ? WHERE id = ? AND user_id IN ('', ?)", userID, id, userID)
}

// ClaimTeam hands the team to userID if it still awaits phone.
func (s *Store) ClaimTeam(ctx context.Context, teamID, phone, userID string) (*store.Team, error) {
	if phone == "" {
		return nil, store.ErrNotFound
	}
	got, err := list(ctx, s.wr, "claim team", scanTeam,
		"UPDATE teams SET leader_id = ?, leader_phone = '' WHERE id = ? AND leader_phone = ? RETURNING "+teamCols, userID, teamID, phone)
	if err != nil {
		return nil, err
	}
	if len(got) == 1 {
		return &got[0], nil
	}
	t, err := s.Team(ctx, teamID)
	if err != nil {
		return nil, err
	}
	if t.LeaderID != userID || userID == "" {
		return nil, store.ErrNotFound
	}
	return t, nil // claimed already, by her
}

const claimCodeCols = "id, phone, hash, expires, made_by, made"

func scanClaimCode(sc scanner, c *store.ClaimCode) error {
	var expires, made int64
	if err := sc.Scan(&c.ID, &c.Phone, &c.Hash, &expires, &c.By, &made); err != nil {
		return err
	}
	c.Expires, c.Made = fromMS(expires), fromMS(made)
	return nil
}

const insertClaimCode = "INSERT INTO claim_codes (" + claimCodeCols + ") VALUES (?,?,?,?,?,?)"

func claimCodeArgs(c *store.ClaimCode) []any {
	return []any{c.ID, c.Phone, c.Hash, ms(c.Expires), c.By, ms(c.Made)}
}

// SetClaimCode stores an appointment's code, replacing any earlier one.
func (s *Store) SetClaimCode(ctx context.Context, c *store.ClaimCode) error {
	_, err := s.exec(ctx, "set claim code", insertClaimCode+`
ON CONFLICT (id) DO UPDATE SET phone = excluded.phone, hash = excluded.hash, expires = excluded.expires, made_by = excluded.made_by, made = excluded.made`,
		claimCodeArgs(c)...)
	return err
}

// ClaimCodes lists the codes live at now made for phone.
func (s *Store) ClaimCodes(ctx context.Context, phone string, now time.Time) ([]store.ClaimCode, error) {
	return list(ctx, s.rd, "list claim codes", scanClaimCode,
		"SELECT "+claimCodeCols+" FROM claim_codes WHERE phone = ? AND expires >= ? ORDER BY made, id LIMIT ?", phone, ms(now), store.MaxLimit)
}

// ClaimCodesByID returns the codes live at now among ids.
func (s *Store) ClaimCodesByID(ctx context.Context, ids []string, now time.Time) (map[string]*store.ClaimCode, error) {
	out := make(map[string]*store.ClaimCode, len(ids))
	err := chunks(ids, func(part []string) error {
		in, args := inList(part)
		got, err := list(ctx, s.rd, "read claim codes", scanClaimCode,
			"SELECT "+claimCodeCols+" FROM claim_codes WHERE id IN ("+in+") AND expires >= ?", append(args, ms(now))...)
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

// DeleteClaimCode removes the code if it is still the one with hash (any
// with "").
func (s *Store) DeleteClaimCode(ctx context.Context, id, hash string) error {
	_, err := s.exec(ctx, "delete claim code", "DELETE FROM claim_codes WHERE id = ? AND (? = '' OR hash = ?)", id, hash, hash)
	return err
}
