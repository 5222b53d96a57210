package mongodb

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"kynangso/app/store"
)

// Setup of the first admin. The live token is the settings document
// "setup"; using it is decided by "setup:"+token carrying the phone, kept
// for good, so that the same person's retry still works once the token is
// gone and no one else's ever does.

func (s *Store) settings() *mongo.Collection { return s.coll("settings") }

type setupUse struct {
	Phone string `bson:"phone"`
}

func setupKey(token string) string { return "setup:" + token }

// SetupToken returns the one-time token that creates the first admin,
// creating it if needed; empty once an admin exists.
func (s *Store) SetupToken(ctx context.Context) (string, error) {
	n, err := s.CountAdmins(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	for range 3 {
		var doc struct {
			Token string `bson:"token"`
		}
		err = retryRace(func() error {
			return s.settings().FindOneAndUpdate(ctx, bson.M{"_id": "setup"},
				bson.M{"$setOnInsert": bson.M{"token": store.NewID()}},
				options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
		})
		if err != nil {
			return "", fmt.Errorf("setup token: %w", err)
		}
		_, err := readDecision[setupUse](ctx, s, setupKey(doc.Token))
		if errors.Is(err, store.ErrNotFound) {
			return doc.Token, nil
		}
		if err != nil {
			return "", err
		}
		// Used, but its use was cut short before the token went: finish
		// that, and make a new one.
		if _, err := s.settings().DeleteOne(ctx, bson.M{"_id": "setup", "token": doc.Token}); err != nil {
			return "", fmt.Errorf("remove used setup token: %w", err)
		}
	}
	return "", fmt.Errorf("setup token: %w", store.ErrBusy)
}

// CheckSetupToken tells whether token may still be used by phone: it is
// the live token, or it was used by that same phone.
func (s *Store) CheckSetupToken(ctx context.Context, token, phone string) (bool, error) {
	if token == "" {
		return false, nil
	}
	used, err := readDecision[setupUse](ctx, s, setupKey(token))
	if err == nil {
		return used.Phone == phone, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	n, err := s.settings().CountDocuments(ctx, bson.M{"_id": "setup", "token": token})
	return n == 1, wrap(err, "check setup token")
}

// UseSetupToken records that phone used token: decided by a unique
// insert, and only then is the token removed, so a use cut short between
// the two is finished by the same person's retry.
func (s *Store) UseSetupToken(ctx context.Context, token, phone string) (bool, error) {
	if token == "" {
		return false, nil
	}
	used, err := readDecision[setupUse](ctx, s, setupKey(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		n, err := s.settings().CountDocuments(ctx, bson.M{"_id": "setup", "token": token})
		if err != nil {
			return false, fmt.Errorf("check setup token: %w", err)
		}
		if n == 0 {
			return false, nil
		}
		var first bool
		if used, first, err = decide(ctx, s, setupKey(token), kindSetup, "", nil, setupUse{Phone: phone}); err != nil {
			return false, fmt.Errorf("use setup token: %w", err)
		}
		if first {
			if err := store.Step(ctx, "mongodb.UseSetupToken.decided"); err != nil {
				return false, err
			}
		}
	case err != nil:
		return false, err
	}
	if _, err := s.settings().DeleteOne(ctx, bson.M{"_id": "setup", "token": token}); err != nil {
		return false, fmt.Errorf("remove used setup token: %w", err)
	}
	return used.Phone == phone, nil
}

// liveSetupToken is the token that may still be used, if any.
func (s *Store) liveSetupToken(ctx context.Context) (string, error) {
	var doc struct {
		Token string `bson:"token"`
	}
	err := s.settings().FindOne(ctx, bson.M{"_id": "setup"}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("setup token: %w", err)
	}
	_, err = readDecision[setupUse](ctx, s, setupKey(doc.Token))
	if errors.Is(err, store.ErrNotFound) {
		return doc.Token, nil
	}
	return "", err
}

// Audit

func (s *Store) audit() *mongo.Collection { return s.coll("audit") }

var auditIndexes = []mongo.IndexModel{
	index("-at", "-_id"),                     // AuditLog, newest first
	index("target", "action", "-at", "-_id"), // AuditAbout
}

// Audit appends an entry. An entry whose ID exists already is taken as
// written (a retried workflow); an empty ID is given a new one.
func (s *Store) Audit(ctx context.Context, e *store.AuditEntry) error {
	if e.ID == "" {
		e.ID = store.NewID()
	}
	_, err := s.audit().InsertOne(ctx, e)
	return wrap(ignoreDuplicates(err), "audit %s", e.Action)
}

// AuditLog lists entries, newest first.
func (s *Store) AuditLog(ctx context.Context, p store.Page) ([]store.AuditEntry, error) {
	l, err := findAll[store.AuditEntry](ctx, s.audit(), bson.M{},
		paged(p, bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}))
	return l, wrap(err, "audit log")
}

// AuditAbout lists the newest entries of action on target since then.
func (s *Store) AuditAbout(ctx context.Context, target, action string, since time.Time, limit int) ([]store.AuditEntry, error) {
	l, err := findAll[store.AuditEntry](ctx, s.audit(), bson.M{"target": target, "action": action, "at": bson.M{"$gte": since}},
		paged(store.Page{Limit: max(limit, 1)}, bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}))
	return l, wrap(err, "audit entries")
}

// Verifications

func (s *Store) verifications() *mongo.Collection { return s.coll("verifications") }

var verificationsIndexes = []mongo.IndexModel{
	index("code", "-at"), // Verifications, CountVerifications
}

// RecordVerification counts a check.
func (s *Store) RecordVerification(ctx context.Context, v *store.Verification) error {
	if v.ID == "" {
		v.ID = store.NewID()
	}
	_, err := s.verifications().InsertOne(ctx, v)
	return wrap(duplicate(err), "record verification")
}

// Verifications lists a certificate's checks, newest first: at most
// limit, read as a Page's (0 is store.DefaultLimit).
func (s *Store) Verifications(ctx context.Context, code string, limit int) ([]store.Verification, error) {
	l, err := findAll[store.Verification](ctx, s.verifications(), bson.M{"code": code},
		paged(store.Page{Limit: limit}, bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}))
	return l, wrap(err, "verifications of %s", code)
}

// CountVerifications counts the checks of a certificate.
func (s *Store) CountVerifications(ctx context.Context, code string) (int64, error) {
	n, err := s.verifications().CountDocuments(ctx, bson.M{"code": code})
	return n, wrap(err, "count verifications of %s", code)
}

// Rate limits. Counters live in the database so that every instance
// behind a load balancer shares them. A counter is not one document
// incremented with $inc: FerretDB applies an $inc upsert as a read then a
// write, so concurrent hits could count once. Instead each hit claims the
// next numbered slot of its window, window#1, window#2, …, with a unique
// insert, which is atomic on MongoDB and on FerretDB alike: of any number
// of concurrent hits each gets a number of its own, and the number is the
// count. Slots are claimed in order (a hit tries the slot after the count
// it read, and after a clash reads again), so window#1..window#n exist
// when the count is n. At most limit+1 slots are ever claimed in a window,
// and a count reads at most limit+1 of them, so a flood costs little.
//
// Hits that clash for one slot cost a retry each, so many at once on one
// key would cost a number of retries that grows as their square. Within
// one instance they take turns instead (a lock per window key, striped);
// only hits from different instances ever clash, and the unique insert
// keeps the count exact across instances all the same.

func (s *Store) ratelimit() *mongo.Collection { return s.coll("ratelimit") }

var ratelimitIndexes = []mongo.IndexModel{
	expiring("expires"),
	index("w"), // the slots of a window, counted
}

func windowKey(key string, window time.Duration, now time.Time) string {
	return key + "@" + now.Truncate(window).UTC().Format(time.RFC3339Nano)
}

// hitSlot is one counted hit: the window it counts in, and when that
// window ends. Its _id, window#n, cannot be another window's: a window
// key ends in the time's "Z".
type hitSlot struct {
	ID      string    `bson:"_id"`
	W       string    `bson:"w"`
	Expires time.Time `bson:"expires"`
}

// countSlots counts the slots of window w, reading at most limit of them.
func (s *Store) countSlots(ctx context.Context, w string, limit int) (int, error) {
	n, err := s.ratelimit().CountDocuments(ctx, bson.M{"w": w}, options.Count().SetLimit(int64(limit)))
	return int(n), err
}

// hitTurns are the turns hits of one instance take to claim a slot: a
// window key uses the stripe its hash picks.
var hitTurns = func() (t [256]chan struct{}) {
	for i := range t {
		t[i] = make(chan struct{}, 1)
	}
	return t
}()

func hitTurn(w string) chan struct{} {
	h := fnv.New32a()
	_, _ = h.Write([]byte(w))
	return hitTurns[h.Sum32()%uint32(len(hitTurns))]
}

// HitUpTo counts one request of key in the fixed window holding now and
// returns its count, this one included; once limit are counted it claims
// no more slots and returns limit+1.
func (s *Store) HitUpTo(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (int, error) {
	if limit < 0 {
		limit = 0
	}
	w := windowKey(key, window, now)
	end := now.Truncate(window).Add(window)
	// Hits of one key take turns within an instance before they touch the
	// database: a flood then queues here, one count at a time, rather
	// than emptying the connection pool with counts of its own.
	turn := hitTurn(w)
	select {
	case turn <- struct{}{}:
	case <-ctx.Done():
		return 0, fmt.Errorf("rate limit %s: %w", key, ctx.Err())
	}
	defer func() { <-turn }()
	n, err := s.countSlots(ctx, w, limit+1)
	if err != nil {
		return 0, fmt.Errorf("rate limit %s: %w", key, err)
	}
	// Each turn of the loop either claims slot n+1 or learns that another
	// instance took it, and then n grows: at most limit+1 turns.
	for n <= limit {
		next := n + 1
		_, err := s.ratelimit().InsertOne(ctx, hitSlot{ID: w + "#" + strconv.Itoa(next), W: w, Expires: end})
		if err == nil {
			return next, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return 0, fmt.Errorf("rate limit %s: %w", key, err)
		}
		if n, err = s.countSlots(ctx, w, limit+1); err != nil {
			return 0, fmt.Errorf("rate limit %s: %w", key, err)
		}
		// Slot next is taken, so the count is at least next (even if
		// ClearHits removed slots in between).
		n = max(n, next)
	}
	return limit + 1, nil
}

// Hit is HitUpTo with limit store.MaxHits.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	return s.HitUpTo(ctx, key, store.MaxHits, window, now)
}

// Hits returns the count so far in the window holding now, without
// counting.
func (s *Store) Hits(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	n, err := s.countSlots(ctx, windowKey(key, window, now), store.MaxHits+1)
	return n, wrap(err, "rate limit %s", key)
}

// ClearHits forgets the count of the window holding now.
func (s *Store) ClearHits(ctx context.Context, key string, window time.Duration, now time.Time) error {
	_, err := s.ratelimit().DeleteMany(ctx, bson.M{"w": windowKey(key, window, now)})
	return wrap(err, "clear rate limit %s", key)
}

// Signing keys

func (s *Store) signingKeys() *mongo.Collection { return s.coll("signing_keys") }

// SigningKeys lists the keys, oldest first.
func (s *Store) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	l, err := findAll[store.SigningKey](ctx, s.signingKeys(), bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	return l, wrap(err, "signing keys")
}

// AddSigningKey stores k; ErrDuplicate when its Seq is taken.
func (s *Store) AddSigningKey(ctx context.Context, k *store.SigningKey) error {
	_, err := s.signingKeys().InsertOne(ctx, k)
	return wrap(duplicate(err), "add signing key %d", k.Seq)
}

// Sweep removes what has expired by now. MongoDB's TTL indexes do the
// same in the background; FerretDB has none, and relies on this.
func (s *Store) Sweep(ctx context.Context, now time.Time) error {
	for _, c := range []*mongo.Collection{s.sessions(), s.ratelimit(), s.resets(), s.claimCodes(), s.decisions()} {
		if _, err := c.DeleteMany(ctx, bson.M{"expires": bson.M{"$lt": now}}); err != nil {
			return fmt.Errorf("sweep %s: %w", c.Name(), err)
		}
	}
	return nil
}
