package simulate

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	mrand "math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

// Cognito is the part of the Cognito user-pool API the simulation calls.
// *cognitoidentityprovider.Client satisfies it.
type Cognito interface {
	SignUp(context.Context, *cip.SignUpInput, ...func(*cip.Options)) (*cip.SignUpOutput, error)
	ConfirmSignUp(context.Context, *cip.ConfirmSignUpInput, ...func(*cip.Options)) (*cip.ConfirmSignUpOutput, error)
	AdminConfirmSignUp(context.Context, *cip.AdminConfirmSignUpInput, ...func(*cip.Options)) (*cip.AdminConfirmSignUpOutput, error)
	InitiateAuth(context.Context, *cip.InitiateAuthInput, ...func(*cip.Options)) (*cip.InitiateAuthOutput, error)
	ForgotPassword(context.Context, *cip.ForgotPasswordInput, ...func(*cip.Options)) (*cip.ForgotPasswordOutput, error)
	ConfirmForgotPassword(context.Context, *cip.ConfirmForgotPasswordInput, ...func(*cip.Options)) (*cip.ConfirmForgotPasswordOutput, error)
}

// Kind is the kind of email address a simulated user signs up with.
type Kind string

// The three kinds of address.
const (
	Valid      Kind = "valid"      // a well-formed address at a permanent domain
	Disposable Kind = "disposable" // a well-formed address at a disposable-mail domain
	Invalid    Kind = "invalid"    // a malformed address
)

// Kinds returns the kinds in a stable order.
func Kinds() []Kind { return []Kind{Valid, Disposable, Invalid} }

// Domains the simulation uses. The valid ones are reserved for examples
// (RFC 2606); the disposable ones are on the AfterShip disposable list the
// pre sign-up trigger uses.
var (
	ValidDomains      = []string{"example.com", "example.org", "example.net"}
	DisposableDomains = []string{"mailinator.com", "10minutemail.com", "guerrillamail.com", "yopmail.com"}
)

// invalidForms make malformed addresses from a local part. Each still has
// an "@", so an emulator that only checks for one lets it through to the
// pre sign-up trigger.
var invalidForms = []struct {
	domain string
	format func(local string) string
}{
	{"example", func(l string) string { return l + "@example" }},            // no top-level domain
	{"example.com", func(l string) string { return l + "..x@example.com" }}, // consecutive dots
	{"-example.com", func(l string) string { return l + "@-example.com" }},  // label starts with a hyphen
	{"example..com", func(l string) string { return l + "@example..com" }},  // empty label
}

// Options configure a simulation. The zero value of every field but
// ClientID (and UserPoolID or ConfirmationCode) has a working default.
type Options struct {
	// Users is how many users sign up. Default 10.
	Users int
	// Seed fixes the plan: which user has which kind of address and
	// domain, and who first types a wrong password.
	Seed uint64
	// RunID goes into every address so runs never collide. Default: random.
	RunID string
	// ClientID is the app client's id. Required.
	ClientID string
	// ClientSecret is the app client's secret, when it has one: calls then
	// carry a SECRET_HASH.
	ClientSecret string
	// UserPoolID is the user pool's id, for AdminConfirmSignUp.
	UserPoolID string
	// ConfirmationCode, when set, confirms users with ConfirmSignUp and this
	// code (cognito-local started with CODE=...) instead of AdminConfirmSignUp.
	ConfirmationCode string
	// Disposable and Invalid are the shares of users with such addresses.
	// Defaults 0.2 and 0.1; set a negative value for none.
	Disposable, Invalid float64
	// WrongPassword is the share of confirmed users who first try a wrong
	// password, then the right one. Default 0.3; negative for none.
	WrongPassword float64
	// Refresh is the share of signed-in users who then refresh their tokens
	// once (InitiateAuth REFRESH_TOKEN_AUTH). Default 0.5; negative for none.
	Refresh float64
	// ForgotPassword is the share of signed-in users who then reset their
	// password (ForgotPassword; then ConfirmForgotPassword when
	// ConfirmationCode is set, the code being known). Default 0.2;
	// negative for none.
	ForgotPassword float64
	// Phone is the share of users who sign up with a phone_number too (a
	// number reserved for fiction, never a real one), so that the triggers
	// see phone numbers that must stay out of events and logs. Default
	// 0.3; negative for none.
	Phone float64
	// Legacy is the share of users (beyond Users, who sign up) who exist
	// only in the adopter's old user directory and sign in for the first
	// time with USER_PASSWORD_AUTH, which calls the pool's user migration
	// trigger: Directory must hold them, and Run adds them to it. Some of
	// them first type a wrong password (WrongPassword), and a quarter of
	// them are in no directory at all: their migrations fail. Default 0.2
	// when Directory is set; with no Directory there are no legacy users
	// (no migration trigger could know them). Negative for none.
	Legacy float64
	// Directory is the old user directory the pool's migration trigger
	// looks users up in; see Legacy.
	Directory Directory
	// Concurrency is how many users go through their journey at once. Default 4.
	Concurrency int
	// CallTimeout bounds every API call. Default 10s.
	CallTimeout time.Duration
	// Progress, when set, is called after each user's journey ends, from
	// the simulation's goroutines one at a time.
	Progress func(done, total int)
}

// Defaults.
const (
	DefaultUsers         = 10
	DefaultDisposable    = 0.2
	DefaultInvalid       = 0.1
	DefaultWrongPassword = 0.3
	DefaultRefresh       = 0.5
	DefaultForgot        = 0.2
	DefaultPhone         = 0.3
	DefaultLegacy        = 0.2
	DefaultConcurrency   = 4
	DefaultCallTimeout   = 10 * time.Second
)

// ErrConfig is wrapped by every error about bad Options.
var ErrConfig = errors.New("bad simulation options")

func (o Options) withDefaults() (Options, error) {
	if o.Users == 0 {
		o.Users = DefaultUsers
	}
	share := func(v *float64, def float64) {
		switch {
		case *v == 0:
			*v = def
		case *v < 0:
			*v = 0
		}
	}
	share(&o.Disposable, DefaultDisposable)
	share(&o.Invalid, DefaultInvalid)
	share(&o.WrongPassword, DefaultWrongPassword)
	share(&o.Refresh, DefaultRefresh)
	share(&o.ForgotPassword, DefaultForgot)
	share(&o.Phone, DefaultPhone)
	if o.Directory == nil && o.Legacy == 0 {
		o.Legacy = -1 // no directory, no legacy users
	}
	share(&o.Legacy, DefaultLegacy)
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.CallTimeout == 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	switch {
	case o.Users < 0:
		return o, fmt.Errorf("%w: users %d is negative", ErrConfig, o.Users)
	case o.ClientID == "":
		return o, fmt.Errorf("%w: the app client id is required", ErrConfig)
	case o.UserPoolID == "" && o.ConfirmationCode == "":
		return o, fmt.Errorf("%w: the user pool id is required to confirm users (or give a confirmation code)", ErrConfig)
	case o.Disposable+o.Invalid > 1:
		return o, fmt.Errorf("%w: disposable %v + invalid %v is more than 1", ErrConfig, o.Disposable, o.Invalid)
	case o.WrongPassword > 1:
		return o, fmt.Errorf("%w: wrong-password share %v is more than 1", ErrConfig, o.WrongPassword)
	case o.Refresh > 1:
		return o, fmt.Errorf("%w: refresh share %v is more than 1", ErrConfig, o.Refresh)
	case o.ForgotPassword > 1:
		return o, fmt.Errorf("%w: forgot-password share %v is more than 1", ErrConfig, o.ForgotPassword)
	case o.Phone > 1:
		return o, fmt.Errorf("%w: phone share %v is more than 1", ErrConfig, o.Phone)
	case o.Legacy > 1:
		return o, fmt.Errorf("%w: legacy share %v is more than 1", ErrConfig, o.Legacy)
	case o.Legacy > 0 && o.Directory == nil:
		return o, fmt.Errorf("%w: legacy users need the directory of the pool's migration trigger", ErrConfig)
	case o.Concurrency < 0:
		return o, fmt.Errorf("%w: concurrency %d is negative", ErrConfig, o.Concurrency)
	case o.CallTimeout < 0:
		return o, fmt.Errorf("%w: call timeout %s is negative", ErrConfig, o.CallTimeout)
	}
	if o.RunID == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		o.RunID = hex.EncodeToString(b[:])
	}
	return o, nil
}

// User is one planned simulated user. Email and Password never leave the
// package's callers' memory: nothing here logs them.
type User struct {
	Index         int
	Kind          Kind
	Domain        string
	Email         string
	Password      string
	WrongPassword bool   // tries a wrong password before the right one
	Refresh       bool   // refreshes the tokens once after signing in
	Forgot        bool   // resets the password after signing in
	Phone         string // an E.164 number reserved for fiction, or ""
	// Legacy users never sign up: they sign in for the first time and the
	// pool's migration trigger brings them in from the old directory, or,
	// Unknown to it, fails to.
	Legacy  bool
	Unknown bool
}

// Directory is the old user directory a pool's user migration trigger
// looks users up in (a stand-in for the adopter's legacy system). Add
// records a user there with the password and email address the old
// system holds; it must neither log nor publish them.
type Directory interface {
	Add(username, password, email string)
}

// LegacyUsers returns the legacy users among users: those Run adds to the
// directory (Unknown false) and those it does not.
func LegacyUsers(users []User) []User {
	var out []User
	for _, u := range users {
		if u.Legacy {
			out = append(out, u)
		}
	}
	return out
}

// Plan returns the users a simulation with opts signs up, in order. It is
// a pure function of the options: the same seed gives the same kinds,
// domains and wrong-password users; the run id changes only the addresses.
func Plan(opts Options) ([]User, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return plan(o), nil
}

func plan(o Options) []User {
	rng := mrand.New(mrand.NewPCG(o.Seed, o.Seed^0x636f67776174636b))
	n := o.Users
	disposable := int(math.Round(float64(n) * o.Disposable))
	invalid := int(math.Round(float64(n) * o.Invalid))
	if disposable+invalid > n {
		invalid = n - disposable
	}
	kinds := make([]Kind, n)
	for i := range kinds {
		switch {
		case i < disposable:
			kinds[i] = Disposable
		case i < disposable+invalid:
			kinds[i] = Invalid
		default:
			kinds[i] = Valid
		}
	}
	rng.Shuffle(n, func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	wrong := make([]bool, n)
	for i := range int(math.Round(float64(n) * o.WrongPassword)) {
		wrong[i] = true
	}
	rng.Shuffle(n, func(i, j int) { wrong[i], wrong[j] = wrong[j], wrong[i] })

	users := make([]User, n)
	for i := range users {
		local := "cw-" + o.RunID + "-" + strconv.Itoa(i)
		u := User{Index: i, Kind: kinds[i], WrongPassword: wrong[i], Password: password(rng)}
		switch u.Kind {
		case Valid:
			u.Domain = ValidDomains[rng.IntN(len(ValidDomains))]
			u.Email = local + "@" + u.Domain
		case Disposable:
			u.Domain = DisposableDomains[rng.IntN(len(DisposableDomains))]
			u.Email = local + "@" + u.Domain
		case Invalid:
			f := invalidForms[rng.IntN(len(invalidForms))]
			u.Domain = f.domain
			u.Email = f.format(local)
		}
		users[i] = u
	}
	journeys(o, users)
	return append(users, legacy(o)...)
}

// legacyUnknown is the share of legacy users no directory knows.
const legacyUnknown = 0.25

// legacy plans the legacy users, after the users who sign up, from a
// generator of its own, so that a seed's other users stay as they were
// planned before legacy users existed.
func legacy(o Options) []User {
	rng := mrand.New(mrand.NewPCG(o.Seed, o.Seed^0x6c6567616379))
	n := int(math.Round(float64(o.Users) * o.Legacy))
	users := make([]User, n)
	unknown := rng.Perm(n)[:int(math.Round(float64(n)*legacyUnknown))]
	wrong := rng.Perm(n)[:int(math.Round(float64(n)*o.WrongPassword))]
	for i := range users {
		idx := o.Users + i
		u := User{Index: idx, Kind: Valid, Legacy: true, Password: password(rng)}
		u.Domain = ValidDomains[rng.IntN(len(ValidDomains))]
		u.Email = "cw-" + o.RunID + "-legacy-" + strconv.Itoa(idx) + "@" + u.Domain
		users[i] = u
	}
	for _, i := range unknown {
		users[i].Unknown = true
	}
	for _, i := range wrong {
		users[i].WrongPassword = !users[i].Unknown
	}
	return users
}

// journeys plans what users do after signing in, and who gives a phone
// number, from a generator of its own, so that a seed's kinds, domains and
// wrong passwords stay those of plans made before these journeys existed.
func journeys(o Options, users []User) {
	rng := mrand.New(mrand.NewPCG(o.Seed, o.Seed^0x6a6f75726e657973))
	pick := func(share float64, set func(u *User)) {
		idx := rng.Perm(len(users))
		for _, i := range idx[:int(math.Round(float64(len(users))*share))] {
			set(&users[i])
		}
	}
	pick(o.Refresh, func(u *User) { u.Refresh = true })
	pick(o.ForgotPassword, func(u *User) { u.Forgot = true })
	pick(o.Phone, func(u *User) { u.Phone = fictionalPhone(u.Index) })
}

// fictionalPhone returns the i-th of the numbers reserved for drama: the
// UK's +44 7700 900000–900999 (Ofcom) and North America's +1 NXX 555-0100–0199.
func fictionalPhone(i int) string {
	if i%2 == 0 {
		return fmt.Sprintf("+447700900%03d", i/2%1000)
	}
	return fmt.Sprintf("+1202555%04d", 100+i/2%100)
}

// password returns a password meeting Cognito's default policy: at least 8
// characters with upper and lower case letters, a digit and a symbol.
func password(rng *mrand.Rand) string {
	const alnum = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := []byte("Cw1!")
	for range 12 {
		b = append(b, alnum[rng.IntN(len(alnum))])
	}
	return string(b)
}

// Stage counts one kind of call: how many were made, how many succeeded,
// and the failures by error code: the API error code; Timeout when the
// call's own deadline passed; Interrupted when the run was stopped during
// the call; NetworkError when no connection could be made or it broke;
// Error for other failures with no API answer.
type Stage struct {
	Attempted int            `json:"attempted"`
	Succeeded int            `json:"succeeded"`
	Failed    map[string]int `json:"failed,omitempty"`
}

// FailedTotal returns the number of failed calls.
func (s Stage) FailedTotal() int {
	n := 0
	for _, v := range s.Failed {
		n += v
	}
	return n
}

func (s *Stage) record(err error) {
	s.Attempted++
	if err == nil {
		s.Succeeded++
		return
	}
	if s.Failed == nil {
		s.Failed = map[string]int{}
	}
	s.Failed[ErrorCode(err)]++
}

// Result is what a simulation did and how Cognito answered.
type Result struct {
	// RunID is the run id the addresses carried.
	RunID string `json:"runId"`
	// Users is how many users were planned to sign up (Options.Users);
	// legacy users are counted in the Migrate stages.
	Users int `json:"users"`
	// SignUp counts SignUp calls by kind of address; Succeeded is accepted,
	// Failed is rejected by error code (UserLambdaValidationException when
	// the pre sign-up trigger rejects).
	SignUp map[Kind]*Stage `json:"signUp"`
	// Domains counts sign-up attempts by email domain (for a malformed
	// address, what follows its last "@"); AcceptedDomains counts the
	// accepted ones, so that both add up to their stage's totals.
	Domains         map[string]int `json:"domains"`
	AcceptedDomains map[string]int `json:"acceptedDomains"`
	// AutoConfirmed counts accepted sign-ups Cognito confirmed by itself
	// (a pre sign-up trigger's autoConfirmUser); they are not confirmed again.
	AutoConfirmed int `json:"autoConfirmed"`
	// Confirm counts AdminConfirmSignUp or ConfirmSignUp calls.
	Confirm Stage `json:"confirm"`
	// SignInWrong counts InitiateAuth calls with a wrong password: Failed
	// is what is expected, Succeeded would be a Cognito bug.
	SignInWrong Stage `json:"signInWrongPassword"`
	// SignInRight counts InitiateAuth calls with the right password.
	SignInRight Stage `json:"signInRightPassword"`
	// Refresh counts InitiateAuth REFRESH_TOKEN_AUTH calls, made with the
	// refresh token of a successful sign-in.
	Refresh Stage `json:"refresh"`
	// ForgotPassword counts ForgotPassword calls (a code sent), and
	// ConfirmForgotPassword the resets confirmed with that code.
	ForgotPassword        Stage `json:"forgotPassword"`
	ConfirmForgotPassword Stage `json:"confirmForgotPassword"`
	// Legacy users' first sign-ins (USER_PASSWORD_AUTH, which calls the
	// migration trigger): MigrateWrong with a wrong password and
	// MigrateUnknown by users no directory knows (Failed is expected:
	// NotAuthorizedException), MigrateRight with the right password
	// (Succeeded: migrated and signed in).
	MigrateWrong   Stage `json:"migrateWrongPassword"`
	MigrateUnknown Stage `json:"migrateUnknownUser"`
	MigrateRight   Stage `json:"migrateRightPassword"`
	// Elapsed is how long the run took.
	Elapsed time.Duration `json:"elapsedNs"`

	errs map[string]error // the first error of each code, see Errors
}

// Errors returns the first error the run met for each error code (the
// keys of the stages' Failed), so that a caller can name the cause behind a
// count: a refused connection, missing credentials, a pool not found. They
// stay out of the JSON: an API error's message may echo the user's input.
func (r *Result) Errors() map[string]error { return maps.Clone(r.errs) }

// record counts err (nil for a success) in stage s and keeps it as its
// code's first error.
func (r *Result) record(s *Stage, err error) {
	s.record(err)
	if err == nil {
		return
	}
	if r.errs == nil {
		r.errs = map[string]error{}
	}
	if code := ErrorCode(err); r.errs[code] == nil {
		r.errs[code] = err
	}
}

// Accepted returns the number of accepted sign-ups of every kind.
func (r *Result) Accepted() int {
	n := 0
	for _, s := range r.SignUp {
		n += s.Succeeded
	}
	return n
}

// Rejected returns the number of rejected sign-ups of every kind.
func (r *Result) Rejected() int {
	n := 0
	for _, s := range r.SignUp {
		n += s.FailedTotal()
	}
	return n
}

// Unexpected returns the number of outcomes the simulation did not
// provoke: sign-ups of valid addresses rejected, failed confirmations,
// wrong passwords accepted, right passwords refused. Rejections of
// disposable and invalid addresses and refusals of wrong passwords are the
// point of the simulation, not failures; nor are calls Interrupted by the
// end of the run (Run reports that end as its error).
func (r *Result) Unexpected() int {
	failed := func(s Stage) int { return s.FailedTotal() - s.Failed[Interrupted] }
	n := failed(r.Confirm) + r.SignInWrong.Succeeded + failed(r.SignInRight) +
		failed(r.Refresh) + failed(r.ForgotPassword) + failed(r.ConfirmForgotPassword) +
		r.MigrateWrong.Succeeded + r.MigrateUnknown.Succeeded + failed(r.MigrateRight)
	if s := r.SignUp[Valid]; s != nil {
		n += failed(*s)
	}
	return n
}

// ErrorCode classifies a call's error by its API error code, never its
// message (messages echo input and are unbounded).
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.ErrorCode() != "":
		return apiErr.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded):
		return "Timeout"
	case errors.Is(err, context.Canceled):
		return "Canceled"
	case errors.As(err, new(*net.OpError)):
		return "NetworkError"
	default:
		return "Error"
	}
}

// Run signs up, confirms and signs in opts.Users users through api, then
// has some refresh their tokens and reset their password. It
// returns an error only for bad options or when ctx ends first (with the
// counts so far); how Cognito answered each call is in the Result.
func Run(ctx context.Context, api Cognito, opts Options) (*Result, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	users := plan(o)
	for _, u := range users {
		if u.Legacy && !u.Unknown {
			o.Directory.Add(u.Email, u.Password, u.Email)
		}
	}
	r := &Result{RunID: o.RunID, Users: o.Users, SignUp: map[Kind]*Stage{}, Domains: map[string]int{}, AcceptedDomains: map[string]int{}}
	for _, k := range Kinds() {
		r.SignUp[k] = &Stage{}
	}
	s := &sim{api: api, o: o, r: r}

	work := make(chan User)
	var wg sync.WaitGroup
	for range min(o.Concurrency, max(len(users), 1)) {
		wg.Go(func() {
			for u := range work {
				s.journey(ctx, u)
				s.done(len(users))
			}
		})
	}
feed:
	for _, u := range users {
		select {
		case work <- u:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	r.Elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return r, fmt.Errorf("stopped after %d of %d users: %w", s.finished, len(users), err)
	}
	return r, nil
}

type sim struct {
	api      Cognito
	o        Options
	mu       sync.Mutex // guards r and finished
	r        *Result
	finished int
}

func (s *sim) done(total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finished++
	if s.o.Progress != nil {
		s.o.Progress(s.finished, total)
	}
}

func (s *sim) count(f func(r *Result)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.r)
}

// call runs one API call under its own deadline. A call cut short because
// the run's own context ended is an InterruptedError, not a timeout.
func (s *sim) call(ctx context.Context, f func(ctx context.Context) error) error {
	callCtx, cancel := context.WithTimeout(ctx, s.o.CallTimeout)
	defer cancel()
	err := f(callCtx)
	if err != nil && ctx.Err() != nil {
		return &InterruptedError{Err: err}
	}
	return err
}

// Interrupted is the error code of calls cut short because the run was
// stopped (its context ended): Cognito may or may not have done them.
const Interrupted = "Interrupted"

// InterruptedError is a call cut short because the run was stopped.
type InterruptedError struct{ Err error }

func (e *InterruptedError) Error() string                 { return "interrupted: " + e.Err.Error() }
func (e *InterruptedError) Unwrap() error                 { return e.Err }
func (e *InterruptedError) ErrorCode() string             { return Interrupted }
func (e *InterruptedError) ErrorMessage() string          { return e.Error() }
func (e *InterruptedError) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// journey is one user's way through Cognito: sign up, confirm unless
// Cognito already did, then sign in (a wrong password first, for some),
// and for some refresh the tokens and reset the password.
func (s *sim) journey(ctx context.Context, u User) {
	if ctx.Err() != nil {
		return
	}
	if u.Legacy {
		s.migrate(ctx, u)
		return
	}
	var out *cip.SignUpOutput
	err := s.call(ctx, func(ctx context.Context) (err error) {
		out, err = s.api.SignUp(ctx, &cip.SignUpInput{
			ClientId:       aws.String(s.o.ClientID),
			Username:       aws.String(u.Email),
			Password:       aws.String(u.Password),
			SecretHash:     s.secretHash(u.Email),
			UserAttributes: attributes(u),
		})
		return err
	})
	s.count(func(r *Result) {
		r.record(r.SignUp[u.Kind], err)
		r.Domains[u.Domain]++
		if err == nil {
			r.AcceptedDomains[u.Domain]++
		}
	})
	if err != nil {
		return
	}
	if out.UserConfirmed {
		s.count(func(r *Result) { r.AutoConfirmed++ })
	} else {
		err = s.call(ctx, func(ctx context.Context) error { return s.confirm(ctx, u) })
		s.count(func(r *Result) { r.record(&r.Confirm, err) })
		if err != nil {
			return
		}
	}
	if u.WrongPassword {
		err = s.call(ctx, func(ctx context.Context) error { _, err := s.signIn(ctx, u.Email, u.Password+"x"); return err })
		s.count(func(r *Result) { r.record(&r.SignInWrong, err) })
	}
	var refresh string
	err = s.call(ctx, func(ctx context.Context) (err error) { refresh, err = s.signIn(ctx, u.Email, u.Password); return err })
	s.count(func(r *Result) { r.record(&r.SignInRight, err) })
	if err != nil {
		return
	}
	if u.Refresh {
		err = s.call(ctx, func(ctx context.Context) error { return s.refresh(ctx, u.Email, refresh) })
		s.count(func(r *Result) { r.record(&r.Refresh, err) })
	}
	if u.Forgot {
		s.resetPassword(ctx, u)
	}
}

// migrate signs a legacy user in for the first time: the pool does not
// have the user, so Cognito asks its migration trigger, which knows the
// user (unless Unknown) and checks the password.
func (s *sim) migrate(ctx context.Context, u User) {
	signIn := func(pw string) error {
		return s.call(ctx, func(ctx context.Context) error { _, err := s.signIn(ctx, u.Email, pw); return err })
	}
	if u.Unknown {
		err := signIn(u.Password)
		s.count(func(r *Result) { r.record(&r.MigrateUnknown, err) })
		return
	}
	if u.WrongPassword {
		err := signIn(u.Password + "x")
		s.count(func(r *Result) { r.record(&r.MigrateWrong, err) })
	}
	err := signIn(u.Password)
	s.count(func(r *Result) { r.record(&r.MigrateRight, err) })
}

// attributes are the user's attributes at sign-up: the email, and the
// phone number when the plan gave one.
func attributes(u User) []types.AttributeType {
	attrs := []types.AttributeType{{Name: aws.String("email"), Value: aws.String(u.Email)}}
	if u.Phone != "" {
		attrs = append(attrs, types.AttributeType{Name: aws.String("phone_number"), Value: aws.String(u.Phone)})
	}
	return attrs
}

// resetPassword asks for a reset code, then, when the code is known,
// confirms the reset with it (the new password is the old one changed).
func (s *sim) resetPassword(ctx context.Context, u User) {
	err := s.call(ctx, func(ctx context.Context) error {
		_, err := s.api.ForgotPassword(ctx, &cip.ForgotPasswordInput{
			ClientId: aws.String(s.o.ClientID), Username: aws.String(u.Email), SecretHash: s.secretHash(u.Email),
		})
		return err
	})
	s.count(func(r *Result) { r.record(&r.ForgotPassword, err) })
	if err != nil || s.o.ConfirmationCode == "" {
		return
	}
	err = s.call(ctx, func(ctx context.Context) error {
		_, err := s.api.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{
			ClientId: aws.String(s.o.ClientID), Username: aws.String(u.Email), SecretHash: s.secretHash(u.Email),
			ConfirmationCode: aws.String(s.o.ConfirmationCode), Password: aws.String(u.Password + "r"),
		})
		return err
	})
	s.count(func(r *Result) { r.record(&r.ConfirmForgotPassword, err) })
}

func (s *sim) confirm(ctx context.Context, u User) error {
	if s.o.ConfirmationCode != "" {
		_, err := s.api.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{
			ClientId:         aws.String(s.o.ClientID),
			Username:         aws.String(u.Email),
			ConfirmationCode: aws.String(s.o.ConfirmationCode),
			SecretHash:       s.secretHash(u.Email),
		})
		return err
	}
	_, err := s.api.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{
		UserPoolId: aws.String(s.o.UserPoolID),
		Username:   aws.String(u.Email),
	})
	return err
}

// signIn signs in with a password and returns the refresh token.
func (s *sim) signIn(ctx context.Context, username, pw string) (string, error) {
	params := map[string]string{"USERNAME": username, "PASSWORD": pw}
	if h := s.secretHash(username); h != nil {
		params["SECRET_HASH"] = *h
	}
	out, err := s.api.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId:       aws.String(s.o.ClientID),
		AuthFlow:       types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: params,
	})
	if err != nil {
		return "", err
	}
	if out.AuthenticationResult == nil {
		// A challenge (MFA, new password) is not a completed sign-in.
		return "", &ChallengeError{Name: string(out.ChallengeName)}
	}
	return aws.ToString(out.AuthenticationResult.RefreshToken), nil
}

// refresh gets new tokens with a refresh token. Its SECRET_HASH is the
// username's, as at sign-in; the local app client has no secret.
func (s *sim) refresh(ctx context.Context, username, token string) error {
	params := map[string]string{"REFRESH_TOKEN": token}
	if h := s.secretHash(username); h != nil {
		params["SECRET_HASH"] = *h
	}
	out, err := s.api.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId:       aws.String(s.o.ClientID),
		AuthFlow:       types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: params,
	})
	if err != nil {
		return err
	}
	if out.AuthenticationResult == nil {
		return &ChallengeError{Name: string(out.ChallengeName)}
	}
	return nil
}

// ChallengeError is a sign-in that Cognito answered with a challenge
// instead of tokens. Its ErrorCode is "Challenge:" and the challenge name.
type ChallengeError struct{ Name string }

func (e *ChallengeError) Error() string     { return "sign-in answered with challenge " + e.Name }
func (e *ChallengeError) ErrorCode() string { return "Challenge:" + e.Name }
func (e *ChallengeError) ErrorMessage() string {
	return e.Error()
}
func (e *ChallengeError) ErrorFault() smithy.ErrorFault { return smithy.FaultUnknown }

// secretHash returns the SECRET_HASH for username when the app client has
// a secret: base64(HMAC-SHA256(secret, username + client id)).
func (s *sim) secretHash(username string) *string {
	if s.o.ClientSecret == "" {
		return nil
	}
	m := hmac.New(sha256.New, []byte(s.o.ClientSecret))
	m.Write([]byte(username + s.o.ClientID))
	return aws.String(base64.StdEncoding.EncodeToString(m.Sum(nil)))
}
