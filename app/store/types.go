package store

import (
	"time"

	"kynangso/quiz"
)

// The records the platform keeps. Field tags name them the same way in
// MongoDB documents (bson) and in exports (json), so an export reads the
// same whichever backend wrote it.

// Roles. A leader is a learner who leads a team; the role is stored so that
// route checks need no extra query.
const (
	RoleLearner = "learner"
	RoleLeader  = "leader"
	RoleAdmin   = "admin"
	// RoleOfficial: a province or commune official (see Grant). The grants
	// say where; the role only marks the account as not a plain learner.
	RoleOfficial = "official"
)

// User is a registered person.
type User struct {
	ID           string `bson:"_id" json:"id"`
	Name         string `bson:"name" json:"name"` // as typed, NFC
	NameFolded   string `bson:"name_folded" json:"name_folded"`
	Phone        string `bson:"phone" json:"phone"` // normalised 0xxxxxxxxx
	PasswordHash string `bson:"password_hash" json:"password_hash"`
	Role         string `bson:"role" json:"role"`
	Province     string `bson:"province" json:"province"`
	Commune      string `bson:"commune" json:"commune"`
	TeamID       string `bson:"team_id,omitempty" json:"team_id,omitempty"`
	// Household is the id of the household of TeamID the leader put the
	// person in; empty for none.
	Household  string    `bson:"household,omitempty" json:"household,omitempty"`
	Consent    Consent   `bson:"consent" json:"consent"`
	Created    time.Time `bson:"created" json:"created"`
	LastActive time.Time `bson:"last_active" json:"last_active"`
}

// Consent records what the person agreed to and when (Luật 91/2025/QH15).
type Consent struct {
	Version string    `bson:"version" json:"version"`
	At      time.Time `bson:"at" json:"at"`
	// AssistedBy is the id of the team leader (or admin) who typed the
	// person's details for her ("Đăng ký giúp"); the consent is still her
	// own tap. Empty when she signed up by herself.
	AssistedBy string `bson:"assisted_by,omitempty" json:"assisted_by,omitempty"`
}

// Session is a signed-in browser. Its ID is the SHA-256 of the cookie
// value, so a leaked database does not hand out live sessions.
type Session struct {
	ID      string    `bson:"_id" json:"id"`
	UserID  string    `bson:"user_id" json:"user_id"`
	Created time.Time `bson:"created" json:"created"`
	Expires time.Time `bson:"expires" json:"expires"`
}

// Team is a community digital technology team. Its ID is its join code.
type Team struct {
	ID       string `bson:"_id" json:"id"`
	Name     string `bson:"name" json:"name"`
	Province string `bson:"province" json:"province"`
	Commune  string `bson:"commune" json:"commune"`
	LeaderID string `bson:"leader_id" json:"leader_id"`
	// LeaderPhone is the phone of a leader appointed before she signed
	// up; her registration makes her the leader (LeaderID) and clears it.
	LeaderPhone string `bson:"leader_phone,omitempty" json:"leader_phone,omitempty"`
	// Households is how many households the team's village or residential
	// group has, as its leader recorded; 0 for not recorded.
	Households int       `bson:"households" json:"households"`
	Created    time.Time `bson:"created" json:"created"`
}

// Household is a group of a team's members living together, under a
// label the leader chooses ("Hộ ông Ba, số 12"). Its id is unique within
// the store.
type Household struct {
	ID      string    `bson:"_id" json:"id"`
	TeamID  string    `bson:"team_id" json:"team_id"`
	Label   string    `bson:"label" json:"label"`
	Created time.Time `bson:"created" json:"created"`
}

// Roles an official holds over a place, through a Grant.
const (
	GrantProvince = "province" // sees the whole province, appoints its commune officials
	GrantCommune  = "commune"  // makes the commune's teams, appoints their leaders, sees the commune
)

// Grant makes the person with the phone number an official of a place.
// It is keyed by phone so that it can wait for a person who has not signed
// up yet; phones are not verified, so it waits until she enters the
// grant's claim code (ClaimCode), not merely until someone signs up with
// the number.
type Grant struct {
	ID       string    `bson:"_id" json:"id"` // GrantID(role, place, phone)
	Role     string    `bson:"role" json:"role"`
	Place    string    `bson:"place" json:"place"`       // a province code or a commune code, by Role
	Province string    `bson:"province" json:"province"` // the province of Place (Place itself for GrantProvince)
	Phone    string    `bson:"phone" json:"phone"`
	By       string    `bson:"by" json:"by"` // user id of who appointed
	At       time.Time `bson:"at" json:"at"`
	// UserID is the account that holds the grant: the one the phone had
	// when the grant was made, or the one that entered its claim code.
	// Empty while it waits. Only a grant she holds gives a person an
	// official's access.
	UserID string `bson:"user_id" json:"user_id"`
}

// Waiting tells whether nobody has taken the grant up yet.
func (g *Grant) Waiting() bool { return g.UserID == "" }

// ClaimCode is the one-time code with which the person with Phone takes
// up an appointment made for her number before she had an account: a
// grant, or a team to lead. The appointer reads it to her in person or on
// a call. Only its hash is kept; one per appointment, the newest.
type ClaimCode struct {
	ID      string    `bson:"_id" json:"id"` // the appointment: ClaimOfGrant or ClaimOfTeam
	Phone   string    `bson:"phone" json:"phone"`
	Hash    string    `bson:"hash" json:"hash"`
	Expires time.Time `bson:"expires" json:"expires"`
	By      string    `bson:"by" json:"by"` // who made the code
	Made    time.Time `bson:"made" json:"made"`
}

// ClaimOfGrant and ClaimOfTeam name the appointment a claim code is for.
func ClaimOfGrant(grantID string) string { return "grant:" + grantID }
func ClaimOfTeam(teamID string) string   { return "team:" + teamID }

func GrantID(role, place, phone string) string { return role + ":" + place + ":" + phone }

// GrantQuery selects grants; empty fields match anything.
type GrantQuery struct {
	Role, Place, Province, Phone string
}

// PersonFact is what the place statistics need of a person.
type PersonFact struct {
	ID, Province, Commune, TeamID, Household string
	Created, LastActive                      time.Time
}

// CertFact is what the place statistics need of a certificate.
type CertFact struct {
	UserID, Course, Commune, TeamID, Status string
	IssuedAt                                time.Time
}

// Snapshot is a body written once under its id and never changed: the
// figures of a quarter once it has ended.
type Snapshot struct {
	ID   string    `bson:"_id" json:"id"`
	Body []byte    `bson:"body" json:"body"`
	At   time.Time `bson:"at" json:"at"`
}

// TeamCounts are a team's number of members and of valid certificates.
type TeamCounts struct {
	Members      int64
	Certificates int64
}

// Progress is one learner's progress in one course.
type Progress struct {
	ID      string    `bson:"_id" json:"id"` // ProgressID(user, course): one record per pair
	UserID  string    `bson:"user_id" json:"user_id"`
	Course  string    `bson:"course" json:"course"`
	Lessons []string  `bson:"lessons" json:"lessons"` // ids of lessons marked done
	Best    int       `bson:"best" json:"best"`       // best quiz score, percent
	Passed  bool      `bson:"passed" json:"passed"`
	Updated time.Time `bson:"updated" json:"updated"`
}

// ProgressID is the id of a learner's progress in a course.
func ProgressID(userID, course string) string { return userID + "/" + course }

// Attempt is one try at a course's final quiz. Its ID doubles as the
// submission's idempotency key: it is graded at most once.
type Attempt struct {
	ID        string       `bson:"_id" json:"id"`
	UserID    string       `bson:"user_id" json:"user_id"`
	Course    string       `bson:"course" json:"course"`
	Seed      uint64       `bson:"seed" json:"seed"`
	Drawn     []quiz.Drawn `bson:"drawn" json:"drawn"`
	Created   time.Time    `bson:"created" json:"created"`
	Submitted bool         `bson:"submitted" json:"submitted"`
	At        time.Time    `bson:"submitted_at,omitempty" json:"submitted_at,omitzero"`
	Result    *quiz.Result `bson:"result,omitempty" json:"result,omitempty"`
	Passed    bool         `bson:"passed" json:"passed"`
}

// Reasons for revoking a certificate. The public sees the reason by its
// fixed wording; an admin's free-text note goes to the audit log only, since
// it may name people.
const (
	ReasonError    = "error"
	ReasonFraud    = "fraud"
	ReasonRequest  = "request"
	ReasonOther    = "other"
	ReasonReplaced = "replaced"
)

// RevokeReasons are the reasons an admin may choose.
var RevokeReasons = []string{ReasonError, ReasonFraud, ReasonRequest, ReasonOther}

// Certificate statuses.
const (
	CertValid   = "valid"
	CertRevoked = "revoked"
)

// Certificate is an issued certificate. Its Code is its id, without dashes.
type Certificate struct {
	Code         string     `bson:"_id" json:"code"`
	UserID       string     `bson:"user_id" json:"user_id"`
	Course       string     `bson:"course" json:"course"`
	Holder       string     `bson:"holder" json:"holder"` // the name as printed
	Score        int        `bson:"score" json:"score"`
	IssuedAt     time.Time  `bson:"issued_at" json:"issued_at"`
	TeamID       string     `bson:"team_id,omitempty" json:"team_id,omitempty"`
	TeamName     string     `bson:"team_name,omitempty" json:"team_name,omitempty"`
	Commune      string     `bson:"commune,omitempty" json:"commune,omitempty"` // commune code where earned
	Status       string     `bson:"status" json:"status"`
	RevokedAt    *time.Time `bson:"revoked_at,omitempty" json:"revoked_at,omitempty"`
	RevokeReason string     `bson:"revoke_reason,omitempty" json:"revoke_reason,omitempty"`
	ReplacedBy   string     `bson:"replaced_by,omitempty" json:"replaced_by,omitempty"`
	ShowFullName bool       `bson:"show_full_name" json:"show_full_name"`
	StatusIndex  int        `bson:"status_index" json:"status_index"`
}

// Confirmation records that a team leader saw a member do one of a
// course's practical tasks herself. One per member, course and task.
type Confirmation struct {
	ID       string    `bson:"_id" json:"id"` // ConfirmationID(user, course, task)
	UserID   string    `bson:"user_id" json:"user_id"`
	Course   string    `bson:"course" json:"course"`
	Task     string    `bson:"task" json:"task"`
	TeamID   string    `bson:"team_id" json:"team_id"`
	TeamName string    `bson:"team_name" json:"team_name"` // as it was named then
	By       string    `bson:"by" json:"by"`               // the leader who saw it
	At       time.Time `bson:"at" json:"at"`
}

// ConfirmationID is the id of a member's confirmation of a task.
func ConfirmationID(userID, course, task string) string { return userID + "/" + course + "/" + task }

// Revocation is the decision to withdraw a certificate. It is recorded
// once, before anything it changes, so that a try cut short by a crash is
// finished by the next one exactly as it was decided.
type Revocation struct {
	Code   string    `bson:"code" json:"code"`
	Reason string    `bson:"reason" json:"reason"`
	At     time.Time `bson:"at" json:"at"`
	// Replacement, when set, is issued in the revoked one's place (a name
	// correction); its StatusIndex is allocated before the decision.
	Replacement *Certificate `bson:"replacement,omitempty" json:"replacement,omitempty"`
}

// Verification is one check of a certificate; nothing about who checked.
type Verification struct {
	ID      string    `bson:"_id" json:"id"`
	Code    string    `bson:"code" json:"code"`
	At      time.Time `bson:"at" json:"at"`
	Channel string    `bson:"channel" json:"channel"` // page, json, credential
}

// Audit actions; each has a message "audit.action.<action>".
const (
	ActSetupAdmin    = "setup.admin"
	ActTeamCreate    = "team.create"
	ActTeamLeader    = "team.leader"
	ActCertRevoke    = "certificate.revoke"
	ActCertReplace   = "certificate.replace"
	ActResetCode     = "password.reset_code"
	ActPasswordReset = "password.reset" // a reset code used: Actor is who made it
	ActAccountDelete = "account.delete"
	ActGrant         = "official.appoint" // Target: the grant id
	ActUngrant       = "official.remove"  // Target: the grant id
	ActGrantClaim    = "official.claim"   // Target: the grant id; Actor: who signed up with its phone
	ActHouseholds    = "team.households"  // Target: the team; Detail: "before→after"
	// A practical task seen done (issue 10): Target the member; Detail
	// "course/task".
	ActPracticeConfirm  = "practice.confirm"
	ActPracticeWithdraw = "practice.withdraw"
	// A claim code made for an appointment that waits: Target the
	// appointment (ClaimOfGrant, ClaimOfTeam), Detail the phone. Its use
	// is ActGrantClaim (Target the grant id) or ActTeamLeader (Target
	// the team).
	ActClaimCode = "appointment.claim_code"
	// A registration typed by a leader or an admin beside the resident:
	// Actor the helper, Target the new account, Detail the team.
	ActAssistedRegister = "account.assisted"
)

// AuditActions lists every audit action.
var AuditActions = []string{ActSetupAdmin, ActTeamCreate, ActTeamLeader, ActCertRevoke, ActCertReplace, ActResetCode, ActPasswordReset, ActAccountDelete, ActGrant, ActUngrant, ActGrantClaim, ActHouseholds, ActPracticeConfirm, ActPracticeWithdraw, ActClaimCode, ActAssistedRegister}

// AuditEntry records who did what to what, for accountability. A
// workflow gives its entry an ID derived from what it did, so that a
// retried workflow writes its entry once.
type AuditEntry struct {
	ID     string    `bson:"_id" json:"id"`
	At     time.Time `bson:"at" json:"at"`
	Actor  string    `bson:"actor" json:"actor"` // user id
	Action string    `bson:"action" json:"action"`
	Target string    `bson:"target" json:"target"`
	Detail string    `bson:"detail,omitempty" json:"detail,omitempty"`
}

// Reset is a one-time code a team leader reads to a member who forgot
// their password. Only its hash is kept; one per person, the newest.
type Reset struct {
	UserID   string    `bson:"_id" json:"user_id"`
	Hash     string    `bson:"hash" json:"hash"`
	Expires  time.Time `bson:"expires" json:"expires"`
	Failures int       `bson:"failures" json:"failures"`
	By       string    `bson:"by" json:"by"` // who made the code
}

// SigningKey is one of the platform's credential signing keys, kept where
// every instance sees it. The private key is sealed (encrypted and
// authenticated) with the instances' shared secret; the database alone
// cannot sign.
type SigningKey struct {
	Seq     int       `bson:"_id" json:"seq"` // 1, 2, …: the highest signs
	Public  []byte    `bson:"public" json:"public"`
	Sealed  []byte    `bson:"sealed" json:"sealed"`
	Created time.Time `bson:"created" json:"created"`
}

// Page is a window on a list that grows: at most Limit records after
// skipping Offset. A Limit of 0 means DefaultLimit.
type Page struct {
	Limit, Offset int
}

// DefaultLimit is the page size when none is asked for; MaxLimit the
// largest a caller may ask for.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// Bounds returns the limit and offset to use.
func (p Page) Bounds() (limit, offset int) {
	limit, offset = p.Limit, p.Offset
	if limit <= 0 {
		limit = DefaultLimit
	}
	if limit > MaxLimit {
		limit = MaxLimit
	}
	if offset < 0 {
		offset = 0
	}
	return limit, offset
}
