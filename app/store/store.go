// Package store is the platform's data: the records it keeps (types.go),
// the one interface every backend implements (this file), and the
// contract tests every backend passes (storetest).
//
// Two backends: sqlite (embedded, the default: one file under the data
// folder) and mongodb (scale-out: several instances on a replica set). The
// interface is shaped by what both can promise without a multi-document
// transaction:
//
//   - every method is one atomic change, or says what it guarantees when
//     it is cut short;
//   - methods that must happen once (grading an attempt, revoking a
//     certificate, issuing one per learner and course, using the setup
//     link) record their decision first and return the decision as stored,
//     so a second caller, or a retry after a crash, finishes the same
//     decision instead of being refused for good;
//   - Atomic runs a workflow in one transaction where the backend has one
//     (sqlite); elsewhere the workflow's steps are idempotent and ordered
//     so that the next try completes what a crash cut short.
package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"
)

// Sentinel errors, tested with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("already exists")
	// ErrBusy says another request is doing the same once-only thing right
	// now and has not finished; try again shortly.
	ErrBusy = errors.New("busy: the same change is under way")
)

// Store is the database. Every method takes the request's context; none
// keeps state in memory that another instance would need.
type Store interface {
	// Atomic runs fn as one unit of work: on a backend with transactions
	// (sqlite) fn's writes all happen or none does; elsewhere fn runs as
	// is, and must be written so that running it again finishes it.
	// fn must use the Store it is given, not the outer one.
	Atomic(ctx context.Context, fn func(ctx context.Context, tx Store) error) error

	Ping(ctx context.Context) error
	Close(ctx context.Context) error

	// Users

	// CreateUser inserts u; ErrDuplicate when the phone (or id) is taken.
	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByPhone finds a user by normalised phone number.
	UserByPhone(ctx context.Context, phone string) (*User, error)
	// UsersByIDs returns the users that exist among ids, by id; one query.
	UsersByIDs(ctx context.Context, ids []string) (map[string]*User, error)
	SetUserRole(ctx context.Context, id, role string) error
	SetUserTeam(ctx context.Context, id, teamID string) error
	// LeaveTeam takes a person out of their team.
	LeaveTeam(ctx context.Context, id string) error
	SetUserName(ctx context.Context, id, name, folded string) error
	SetPassword(ctx context.Context, id, hash string) error
	// TouchUser records activity; it never moves LastActive backwards.
	TouchUser(ctx context.Context, id string, at time.Time) error
	// TeamMembers lists a team's members by folded name, then id.
	TeamMembers(ctx context.Context, teamID string, p Page) ([]User, error)
	CountAdmins(ctx context.Context) (int64, error)
	// DeleteUserData erases a person's own records: sessions, progress,
	// attempts, practice confirmations, reset code, and the user record last. Certificates are
	// not touched (see ScrubCertificates). Running it again is harmless.
	DeleteUserData(ctx context.Context, userID string) error

	// Sessions

	CreateSession(ctx context.Context, s *Session) error
	// SessionByID returns a session that has not expired at now.
	SessionByID(ctx context.Context, id string, now time.Time) (*Session, error)
	// SessionUser returns a live session and its user in one read, as
	// every signed-in request needs; ErrNotFound if either is missing.
	SessionUser(ctx context.Context, id string, now time.Time) (*Session, *User, error)
	DeleteSession(ctx context.Context, id string) error
	DeleteUserSessions(ctx context.Context, userID string) error

	// Teams

	// CreateTeam inserts t; ErrDuplicate when its code is taken.
	CreateTeam(ctx context.Context, t *Team) error
	Team(ctx context.Context, id string) (*Team, error)
	// Teams lists teams, newest first.
	Teams(ctx context.Context, p Page) ([]Team, error)
	CountTeams(ctx context.Context) (int64, error)
	// TeamsLedBy lists the teams a user leads (a handful at most).
	TeamsLedBy(ctx context.Context, userID string) ([]Team, error)
	// SetTeamLeader appoints a registered leader and clears any leader
	// awaited by phone; ErrNotFound if there is no such team.
	SetTeamLeader(ctx context.Context, teamID, userID string) error
	// AwaitTeamLeader appoints, by phone, a leader who has not signed up
	// yet: the team has no LeaderID until ClaimTeams runs for her.
	AwaitTeamLeader(ctx context.Context, teamID, phone string) error
	// ClaimTeams makes userID the leader of every team awaiting phone and
	// returns those teams; none is not an error.
	ClaimTeams(ctx context.Context, phone, userID string) ([]Team, error)
	// TeamsIn lists a commune's teams by name, then code.
	TeamsIn(ctx context.Context, commune string, p Page) ([]Team, error)
	CountTeamsIn(ctx context.Context, commune string) (int64, error)
	// TeamsOfProvince lists every team of a province (a province has a few
	// thousand at most), by commune, then name.
	TeamsOfProvince(ctx context.Context, province string) ([]Team, error)
	// SetTeamHouseholds records how many households the team's village
	// has.
	SetTeamHouseholds(ctx context.Context, teamID string, n int) error
	// TeamCounts counts members and valid certificates of each team in
	// ids, in a fixed number of queries; teams with none are absent.
	TeamCounts(ctx context.Context, ids []string) (map[string]TeamCounts, error)

	// Households

	// CreateHousehold inserts h; ErrDuplicate when its id is taken.
	CreateHousehold(ctx context.Context, h *Household) error
	Household(ctx context.Context, id string) (*Household, error)
	// Households lists a team's households by label (MaxLimit at most).
	Households(ctx context.Context, teamID string) ([]Household, error)
	// RenameHousehold changes the label; ErrNotFound unless h is teamID's.
	RenameHousehold(ctx context.Context, teamID, id, label string) error
	// DeleteHousehold removes a household of teamID and takes its members
	// out of it, in one change.
	DeleteHousehold(ctx context.Context, teamID, id string) error
	// SetUserHousehold puts a member of teamID in one of its households
	// (or in none with ""); ErrNotFound unless both are the team's.
	SetUserHousehold(ctx context.Context, teamID, userID, householdID string) error

	// Officials

	// PutGrant stores g under its ID; storing the same grant again
	// changes nothing and is not an error. It reports whether g is new.
	PutGrant(ctx context.Context, g *Grant) (bool, error)
	// DeleteGrant removes a grant; ErrNotFound if there is none.
	DeleteGrant(ctx context.Context, id string) error
	// Grants lists the grants q selects, oldest first (MaxLimit at most).
	Grants(ctx context.Context, q GrantQuery) ([]Grant, error)
	// ClaimGrant makes userID the holder of a grant that waits; a grant
	// she holds already is not an error (a repeat). ErrNotFound when
	// there is no such grant or someone else holds it.
	ClaimGrant(ctx context.Context, id, userID string) error
	// ClaimTeam makes userID the leader of the team if it still awaits
	// phone, and returns it; a team she leads already is returned as it
	// is (a repeat). ErrNotFound otherwise.
	ClaimTeam(ctx context.Context, teamID, phone, userID string) (*Team, error)

	// Claim codes of appointments that wait

	// SetClaimCode stores an appointment's claim code, replacing any
	// earlier one.
	SetClaimCode(ctx context.Context, c *ClaimCode) error
	// ClaimCodes lists the codes live at now made for phone (a handful at
	// most), oldest first.
	ClaimCodes(ctx context.Context, phone string, now time.Time) ([]ClaimCode, error)
	// ClaimCodesByID returns the codes live at now among the appointments
	// ids, by appointment; one query.
	ClaimCodesByID(ctx context.Context, ids []string, now time.Time) (map[string]*ClaimCode, error)
	// DeleteClaimCode removes an appointment's code if it is still the
	// one with hash; with hash "", whatever code it has.
	DeleteClaimCode(ctx context.Context, id, hash string) error

	// Place statistics

	// ScanPeople calls fn with every registered person of a province
	// (every person when province is ""), in no set order. fn must not
	// keep the pointer.
	ScanPeople(ctx context.Context, province string, fn func(*PersonFact) error) error
	// ScanCertificates calls fn with every certificate earned in one of
	// communes (every certificate when communes is nil), valid or not.
	ScanCertificates(ctx context.Context, communes []string, fn func(*CertFact) error) error
	// PutSnapshot stores s unless its id is taken, and returns the
	// snapshot stored under that id: s, or the one written first.
	PutSnapshot(ctx context.Context, s *Snapshot) (*Snapshot, error)
	Snapshot(ctx context.Context, id string) (*Snapshot, error)

	// Learning

	// MarkLessonDone records a finished lesson; twice changes nothing.
	MarkLessonDone(ctx context.Context, userID, course, lesson string, at time.Time) error
	// RecordScore keeps the best score, and sets Passed when passed is
	// true (never clears it: see ClearPassed).
	RecordScore(ctx context.Context, userID, course string, percent int, passed bool, at time.Time) error
	// ClearPassed takes back a pass whose certificate was revoked.
	ClearPassed(ctx context.Context, userID, course string) error
	// ProgressOf returns a learner's progress, by course id.
	ProgressOf(ctx context.Context, userID string) (map[string]*Progress, error)
	// ProgressOfUsers returns many learners' progress, by user then
	// course; one query.
	ProgressOfUsers(ctx context.Context, userIDs []string) (map[string]map[string]*Progress, error)

	CreateAttempt(ctx context.Context, a *Attempt) error
	// AttemptByID returns userID's attempt; another's is ErrNotFound.
	AttemptByID(ctx context.Context, userID, id string) (*Attempt, error)
	// AttemptByAnyUser returns an attempt whoever took it (tests, tools).
	AttemptByAnyUser(ctx context.Context, id string) (*Attempt, error)
	// OpenAttempt returns the user's unsubmitted attempt at a course.
	OpenAttempt(ctx context.Context, userID, course string) (*Attempt, error)
	// AttemptsOf lists a learner's attempts (their copy of their data).
	AttemptsOf(ctx context.Context, userID string) ([]Attempt, error)
	// SubmitAttempt records a's grading (Submitted, At, Result, Passed)
	// once. It returns the attempt as graded, and whether this call was
	// the one that graded it; a later or concurrent call gets the first
	// grading back and changes nothing, and also completes it if a crash
	// cut the first one short. ErrNotFound if a is not userID's.
	SubmitAttempt(ctx context.Context, a *Attempt) (*Attempt, bool, error)

	// Certificates

	// IssueCertificate issues c unless the learner holds a certificate for
	// the course already, which it then returns with false. A
	// certificate revoked without replacement before earnedAt gives way to
	// a new one; an older pass never brings a revoked one back. It
	// allocates c.StatusIndex. A retry after a crash finishes the same
	// issue, never a second certificate.
	IssueCertificate(ctx context.Context, c *Certificate, earnedAt time.Time) (*Certificate, bool, error)
	// Certificate returns a certificate by code (no dashes).
	Certificate(ctx context.Context, code string) (*Certificate, error)
	// CertificatesOf lists a learner's certificates, newest first.
	CertificatesOf(ctx context.Context, userID string) ([]Certificate, error)
	// TeamCertificates lists the certificates earned in a team, oldest
	// first; validOnly keeps those in force.
	TeamCertificates(ctx context.Context, teamID string, validOnly bool, p Page) ([]Certificate, error)
	// RevokedIndexes lists the status-list positions of revoked ones.
	RevokedIndexes(ctx context.Context) ([]int, error)
	// AllocateStatusIndex reserves a status-list position no other
	// certificate holds (for a replacement; IssueCertificate does its own).
	AllocateStatusIndex(ctx context.Context) (int, error)
	// RevokeCertificate records r and applies it: the certificate is
	// revoked, and r.Replacement, if any, is issued in its place and
	// becomes the learner's certificate for the course. It returns the
	// revocation as first recorded, and whether this call recorded it; a
	// retry completes a recorded revocation and returns it with false.
	// ErrNotFound when there is no such certificate; a certificate already
	// revoked by other means (account deletion) is returned with false.
	RevokeCertificate(ctx context.Context, r *Revocation) (*Revocation, bool, error)
	// ScrubCertificates revokes a person's valid certificates at their
	// request (at) and erases the name and the link to the person from
	// all of them, so a paper already handed out reads as withdrawn. It
	// returns the codes it revoked; running it again revokes none.
	ScrubCertificates(ctx context.Context, userID string, at time.Time) ([]string, error)
	// SetShowFullName records the holder's choice; ErrNotFound if c is
	// not userID's.
	SetShowFullName(ctx context.Context, userID, code string, show bool) error

	// Practice confirmed in person

	// ConfirmTask stores c unless the member's task is confirmed already;
	// it returns the confirmation as stored and whether this call stored
	// it (a double tap gets the first one back).
	ConfirmTask(ctx context.Context, c *Confirmation) (*Confirmation, bool, error)
	// WithdrawTask removes a confirmation and returns it; ErrNotFound
	// when there is none.
	WithdrawTask(ctx context.Context, userID, course, task string) (*Confirmation, error)
	// Confirmations lists the confirmations of the users in ids, by user,
	// course and task; one query.
	Confirmations(ctx context.Context, userIDs []string) ([]Confirmation, error)

	// Verifications

	RecordVerification(ctx context.Context, v *Verification) error
	// Verifications lists a certificate's checks, newest first.
	Verifications(ctx context.Context, code string, limit int) ([]Verification, error)
	CountVerifications(ctx context.Context, code string) (int64, error)

	// Audit

	// Audit appends an entry. An entry whose ID exists already is taken
	// as written (a retried workflow); an empty ID is given a new one.
	Audit(ctx context.Context, e *AuditEntry) error
	// AuditLog lists entries, newest first.
	AuditLog(ctx context.Context, p Page) ([]AuditEntry, error)
	// AuditAbout lists the newest entries, at most limit, of action on
	// target made at or after since.
	AuditAbout(ctx context.Context, target, action string, since time.Time, limit int) ([]AuditEntry, error)

	// Setup of the first admin

	// SetupToken returns the one-time token that creates the first admin,
	// creating it if needed; empty once an admin exists.
	SetupToken(ctx context.Context) (string, error)
	// CheckSetupToken tells whether token may still be used by phone: it
	// is the live token, or it was used by that same phone (a retry).
	CheckSetupToken(ctx context.Context, token, phone string) (bool, error)
	// UseSetupToken records that phone used token. It returns true for the
	// first use and for a retry by the same phone (so a setup cut short
	// can finish), false for a wrong token or another phone.
	UseSetupToken(ctx context.Context, token, phone string) (bool, error)

	// Password resets

	// SetReset stores a person's reset code, replacing any earlier one.
	SetReset(ctx context.Context, r *Reset) error
	// ResetOf returns a person's reset code live at now.
	ResetOf(ctx context.Context, userID string, now time.Time) (*Reset, error)
	FailReset(ctx context.Context, userID string) error
	// DeleteReset removes the code if it is still the one with hash.
	DeleteReset(ctx context.Context, userID, hash string) error

	// Rate limits

	// A limit counts first, then checks, then lets the work happen:
	//
	//	n, err := st.HitUpTo(ctx, key, limit, window, now)
	//	if n > limit { refuse }
	//
	// Each hit is counted atomically, so of any number of concurrent hits
	// in one window each gets its own count: 1, 2, 3, … and exactly limit
	// of them get a count of at most limit.

	// HitUpTo counts one request of key in the fixed window holding now
	// and returns its count, this one included. Once limit hits are
	// counted it counts no more and returns limit+1, so a flood costs at
	// most limit+1 counted hits whatever its size.
	HitUpTo(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (int, error)
	// Hit is HitUpTo with limit MaxHits.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	// Hits reads the count of the window holding now (at most MaxHits+1);
	// ClearHits forgets it.
	Hits(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	ClearHits(ctx context.Context, key string, window time.Duration, now time.Time) error

	// Signing keys, shared by every instance

	// SigningKeys lists the keys, oldest first.
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	// AddSigningKey stores k; ErrDuplicate when its Seq is taken (another
	// instance made that key first).
	AddSigningKey(ctx context.Context, k *SigningKey) error

	// Upkeep and moving data

	// Sweep removes what has expired by now: sessions, rate-limit
	// windows, reset codes, claim codes and internal once-only markers. MongoDB also
	// has TTL indexes; Sweep is how the embedded store stays small.
	Sweep(ctx context.Context, now time.Time) error
	// Dump calls fn with every record, kind by kind (see Kinds).
	Dump(ctx context.Context, fn func(Record) error) error
	// Load writes records into the store as they are, in bulk; the store
	// should be empty of them. It rebuilds whatever internal bookkeeping
	// the backend keeps (certificate slots, status-list counters).
	Load(ctx context.Context, recs []Record) error
}

// MaxHits bounds every rate-limit count: past it, Hit returns MaxHits+1
// and counts no more.
const MaxHits = 1000

// NewID returns a random id: 128 bits, hex.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
