package sqlite

import (
	"context"
	"errors"
	"sort"

	"kynangso/app/store"
)

// Practice confirmed in person (issue 10)

const confirmationCols = "id, user_id, course, task, team_id, team_name, made_by, at"

func scanConfirmation(sc scanner, c *store.Confirmation) error {
	var at int64
	if err := sc.Scan(&c.ID, &c.UserID, &c.Course, &c.Task, &c.TeamID, &c.TeamName, &c.By, &at); err != nil {
		return err
	}
	c.At = fromMS(at)
	return nil
}

const insertConfirmation = "INSERT INTO confirmations (" + confirmationCols + ") VALUES (?,?,?,?,?,?,?,?)"

func confirmationArgs(c *store.Confirmation) []any {
	return []any{c.ID, c.UserID, c.Course, c.Task, c.TeamID, c.TeamName, c.By, ms(c.At)}
}

func (s *Store) oneConfirmation(ctx context.Context, id string) (*store.Confirmation, error) {
	c := new(store.Confirmation)
	err := scanConfirmation(s.rd.QueryRowContext(ctx, "SELECT "+confirmationCols+" FROM confirmations WHERE id = ?", id), c)
	if err != nil {
		return nil, wrap("read confirmation", err)
	}
	return c, nil
}

// ConfirmTask inserts c unless its id is taken, then reads back what is
// stored, in one transaction.
func (s *Store) ConfirmTask(ctx context.Context, c *store.Confirmation) (*store.Confirmation, bool, error) {
	c.ID = store.ConfirmationID(c.UserID, c.Course, c.Task)
	var got *store.Confirmation
	var first bool
	err := s.inTx(ctx, func(t *Store) error {
		r, err := t.exec(ctx, "confirm task", insertConfirmation+" ON CONFLICT (id) DO NOTHING", confirmationArgs(c)...)
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		if err != nil {
			return wrap("confirm task", err)
		}
		first = n == 1
		got, err = t.oneConfirmation(ctx, c.ID)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return got, first, nil
}

func (s *Store) WithdrawTask(ctx context.Context, userID, course, task string) (*store.Confirmation, error) {
	id := store.ConfirmationID(userID, course, task)
	var got *store.Confirmation
	err := s.inTx(ctx, func(t *Store) error {
		var err error
		if got, err = t.oneConfirmation(ctx, id); err != nil {
			return err
		}
		return t.update(ctx, "withdraw task", "DELETE FROM confirmations WHERE id = ?", id)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, store.ErrNotFound
	}
	return got, err
}

func (s *Store) Confirmations(ctx context.Context, userIDs []string) ([]store.Confirmation, error) {
	var out []store.Confirmation
	err := chunks(userIDs, func(part []string) error {
		in, args := inList(part)
		got, err := list(ctx, s.rd, "list confirmations", scanConfirmation,
			"SELECT "+confirmationCols+" FROM confirmations WHERE user_id IN ("+in+")", args...)
		out = append(out, got...)
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
