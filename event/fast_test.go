package event

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The fast paths (fast.go, lex.go) against the reference decoders: when a
// fast path is sure, its event, envelope and error are the reference's.

// ordinary is an event as Marshal writes it, enveloped as SNS and goaws do.
const ordinary = `{"specversion":"1.0","id":"3b0f4c1e-9a51-4d7e-8f2a-6c1d0e9b7a21","source":"//cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123","type":"cogwatch.signin.succeeded","time":"2026-03-01T10:15:30.123Z","datacontenttype":"application/json","data":{"schemaVersion":1,"userPoolId":"eu-west-1_AbCdEf123","clientId":"4example7clientid","triggerSource":"PostAuthentication_Authentication","region":"eu-west-1","latencyMs":2.4}}`

func envelopeOf(t testing.TB, msg string, extra map[string]any) []byte {
	t.Helper()
	m := map[string]any{
		"Type": "Notification", "MessageId": "2854a37c", "TopicArn": "arn:aws:sns:us-east-1:000000000000:user-events",
		"Message": msg, "Timestamp": "2026-11-25T13:25:12Z", "SignatureVersion": "1", "Signature": "NmMZ+/==",
		"SigningCertURL": "http://127.0.0.1:1/x.pem", "UnsubscribeURL": "http://127.0.0.1:1/?Action=Unsubscribe&x=y",
		"MessageAttributes": map[string]any{"type": map[string]any{"Type": "String", "Value": "cogwatch.signin.succeeded"}},
	}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// tricky are inputs at the edges of what the fast paths take.
var tricky = []string{
	ordinary,
	" \t\r\n" + ordinary + " \n",
	strings.ReplaceAll(ordinary, `/`, `\/`),
	strings.ReplaceAll(ordinary, `"id"`, `"\u0069d"`),
	strings.ReplaceAll(ordinary, `"id"`, `"ID"`),
	strings.ReplaceAll(ordinary, `"id":`, `"id":"x","id":`),
	strings.ReplaceAll(ordinary, `"3b0f`, `"\u00e9\ud83d\ude00\ud83d\u0041\udc00x\u0000\n\"\\3b0f`),
	strings.ReplaceAll(ordinary, `"3b0f`, "\"\xff\xfe\xed\xa0\x80é3b0f"),
	strings.ReplaceAll(ordinary, `"3b0f`, "\"\x01"),
	strings.ReplaceAll(ordinary, `"3b0f`, `"\x`),
	strings.ReplaceAll(ordinary, `"3b0f`, `"\u12g4`),
	strings.ReplaceAll(ordinary, `.123Z`, `.123+02:00`),
	strings.ReplaceAll(ordinary, `.123Z`, `.123-23:59`),
	strings.ReplaceAll(ordinary, `.123Z`, `+24:00`),
	strings.ReplaceAll(ordinary, `.123Z`, `,123Z`),
	strings.ReplaceAll(ordinary, `.123Z`, `.Z`),
	strings.ReplaceAll(ordinary, `.123Z`, `z`),
	strings.ReplaceAll(ordinary, `T10`, `t10`),
	strings.ReplaceAll(ordinary, `2026-03-01`, `2026-02-30`),
	strings.ReplaceAll(ordinary, `2026-03-01`, `2026\u002d03-01`),
	strings.ReplaceAll(ordinary, `"2026-03-01T10:15:30.123Z"`, `1`),
	strings.ReplaceAll(ordinary, `"2026-03-01T10:15:30.123Z"`, `null`),
	strings.ReplaceAll(ordinary, `2.4`, `-0`),
	strings.ReplaceAll(ordinary, `2.4`, `-1`),
	strings.ReplaceAll(ordinary, `2.4`, `1e400`),
	strings.ReplaceAll(ordinary, `2.4`, `01`),
	strings.ReplaceAll(ordinary, `2.4`, `1.`),
	strings.ReplaceAll(ordinary, `2.4`, `.5`),
	strings.ReplaceAll(ordinary, `2.4`, `1E+2`),
	strings.ReplaceAll(ordinary, `2.4`, `"2.4"`),
	strings.ReplaceAll(ordinary, `"schemaVersion":1`, `"schemaVersion":1.0`),
	strings.ReplaceAll(ordinary, `"schemaVersion":1`, `"schemaVersion":2`),
	strings.ReplaceAll(ordinary, `"schemaVersion":1`, `"schemaVersion":99999999999999999999`),
	strings.ReplaceAll(ordinary, `"clientId":"4example7clientid",`, ``),
	strings.ReplaceAll(ordinary, `"clientId":"4example7clientid"`, `"clientId":null`),
	strings.ReplaceAll(ordinary, `"clientId":"4example7clientid"`, `"clientId":{}`),
	strings.ReplaceAll(ordinary, `"region":"eu-west-1",`, ``),
	strings.ReplaceAll(ordinary, `"region":"eu-west-1"`, `"region":""`),
	strings.ReplaceAll(ordinary, `"id":"3b0f4c1e-9a51-4d7e-8f2a-6c1d0e9b7a21",`, ``),
	strings.ReplaceAll(ordinary, `"specversion":"1.0"`, `"specversion":"0.3"`),
	strings.ReplaceAll(ordinary, `signin.succeeded`, `signup.rejected`),
	strings.ReplaceAll(ordinary, `"latencyMs"`, `"reason":"x","latencyMs"`),
	strings.ReplaceAll(ordinary, `"latencyMs"`, `"subject":"s","latencyMs"`),
	strings.ReplaceAll(ordinary, `}}`, `},"subject":"s"}`),
	strings.ReplaceAll(ordinary, `}}`, `},}`),
	strings.ReplaceAll(ordinary, `}}`, `}}}`),
	strings.ReplaceAll(ordinary, `}}`, `} }x`),
	strings.ReplaceAll(ordinary, `:`, ` : `),
	strings.ReplaceAll(ordinary, `,`, ` ,`),
	ordinary[:len(ordinary)/2],
	`{}`, `{ }`, `[]`, `null`, `""`, ``, `{"data":{}}`, `{"data":null}`, `{"data":{"data":{}}}`,
	`{"Type":"Notification","Message":"{}"}`, `{"Type":"Notification"}`, `{"Type":"Notification","Message":1}`,
	`{"Type":"SubscriptionConfirmation","Token":"t","Message":"m"}`, `{"type":"Notification"}`,
	`{"specversion":"1.0","Type":"Notification"}`, `{"Type":"Notification","specversion":"1.0"}`,
	`{"Type":"Notification","x":[1,{"a":[true,false,null,-0.5e-3,"\u0041"]}],"Message":"{}"}`,
	`{"Type":"Notification","x":[1,}`, `{"Type":"Notification","x":tru}`, `{"Type":"Notification","x":nul}`,
	`{"Type":"Notification","MessageAttributes":null}`, `{"Type":"Notification","MessageAttributes":{}}`,
	`{"Type":"Notification","MessageAttributes":{"a":{"Type":"String","Value":"x","Other":1}}}`,
	`{"Type":"Notification","MessageAttributes":{"a":{"type":"String"}}}`,
	`{"Type":"Notification","MessageAttributes":{"a":{},"a":{"Value":"v"}}}`,
	`{"Type":"Notification","MessageAttributes":{"a":{"Value":"v","Value":"w"}}}`,
	`{"Type":"Notification","MessageAttributes":{"a":1}}`,
	`{"Type":"Notification","Type":"Notification"}`, `{"Type":1}`, `{"Type":null}`, `{"TYPE":"Notification"}`,
	`{"Type":"Notification","message":"{}"}`, `{"Type":"Notification","Messag\u0065":"{}"}`,
}

// seedsOf adds tricky, the fixtures and ordinary envelopes, and the
// committed corpora of the four decoding targets.
func seedsOf(f *testing.F) {
	for _, s := range tricky {
		f.Add([]byte(s))
	}
	f.Add(envelopeOf(f, ordinary, nil))
	f.Add(envelopeOf(f, ordinary, map[string]any{"Token": "", "SubscribeURL": "", "MessageAttributes": nil}))
	f.Add(envelopeOf(f, strings.ReplaceAll(ordinary, "2.4", "x"), nil))
	f.Add(envelopeOf(f, ordinary, map[string]any{"Type": "SubscriptionConfirmation"}))
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(f, err)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(b)
	}
	var corpus []string
	for _, target := range []string{"FuzzDecode", "FuzzFromSNS", "FuzzDecodeFast", "FuzzFromSNSFast"} {
		names, err := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
		require.NoError(f, err)
		corpus = append(corpus, names...)
	}
	for _, name := range corpus {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		_, v, _ := strings.Cut(string(b), "\n[]byte(")
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(v), ")"))
		require.NoError(f, err, name)
		f.Add([]byte(s))
	}
}

func requireSameError(t *testing.T, want, got error) {
	t.Helper()
	if want == nil {
		require.NoError(t, got)
		return
	}
	require.EqualError(t, got, want.Error())
	for _, target := range []error{ErrMissing, ErrInvalid, ErrNotNotification} {
		require.Equal(t, errors.Is(want, target), errors.Is(got, target), "errors.Is %v", target)
	}
}

func checkDecodeFast(t *testing.T, b []byte) bool {
	e, sure, err := decodeFast(b)
	if !sure {
		return false
	}
	we, werr := decodeStrict(b)
	requireSameError(t, werr, err)
	require.Equal(t, we, e)
	return true
}

func checkFromSNSFast(t *testing.T, b []byte) bool {
	e, env, sure, err := fromSNSFast(b)
	if !sure {
		return false
	}
	we, wenv, werr := fromSNSStrict(b, decodeStrict)
	requireSameError(t, werr, err)
	require.Equal(t, we, e)
	require.Equal(t, wenv, env)
	return true
}

func TestFastMatchesStrict(t *testing.T) {
	for i, s := range tricky {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			checkDecodeFast(t, []byte(s))
			checkFromSNSFast(t, []byte(s))
			checkFromSNSFast(t, envelopeOf(t, s, nil))
		})
	}
}

// TestFastPathTaken: ordinary input, good or bad in ways found after
// reading it, does not fall back to encoding/json.
func TestFastPathTaken(t *testing.T) {
	for _, s := range []string{
		ordinary,
		strings.ReplaceAll(ordinary, `/`, `\/`),
		strings.ReplaceAll(ordinary, `"3b0f`, `"\u00e9\ud83d\ude00é`),
		strings.ReplaceAll(ordinary, `.123Z`, `.123+02:00`),
		strings.ReplaceAll(ordinary, `"region":"eu-west-1",`, ``), // missing member
		strings.ReplaceAll(ordinary, `2.4`, `-1`),                 // invalid value
		string(readTestdata(t, "signin-succeeded-with-email.json")),
		string(readTestdata(t, "user-confirmed-null-client.json")),
	} {
		require.True(t, checkDecodeFast(t, []byte(s)), "%s", s)
		require.True(t, checkFromSNSFast(t, []byte(s)), "%s", s)
		require.True(t, checkFromSNSFast(t, envelopeOf(t, s, nil)), "%s", s)
	}
	for _, name := range []string{"sns-notification.json", "goaws-sqs-notification.json", "sns-subscription-confirmation.json"} {
		require.True(t, checkFromSNSFast(t, readTestdata(t, name)), name)
	}
}

func readTestdata(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// FuzzDecodeFast: decodeFast, when sure, agrees with decodeStrict.
func FuzzDecodeFast(f *testing.F) {
	seedsOf(f)
	f.Fuzz(func(t *testing.T, b []byte) { checkDecodeFast(t, b) })
}

// FuzzFromSNSFast: fromSNSFast, when sure, agrees with fromSNSStrict, for a
// body and for the body enveloped.
func FuzzFromSNSFast(f *testing.F) {
	seedsOf(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFromSNSFast(t, b)
		if len(b) < 4096 {
			checkFromSNSFast(t, envelopeOf(t, string(b), nil))
		}
	})
}

// FuzzRFC3339: isRFC3339 is the schema's pattern.
func FuzzRFC3339(f *testing.F) {
	pattern := regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)
	for _, s := range []string{"2026-03-01T10:15:30Z", "2026-03-01T10:15:30.5+02:00", "2026-03-01T10:15:30.Z",
		"2026-03-01T10:15:30,5Z", "2026-03-01t10:15:30Z", "2026-03-01T10:15:30Z\n", "2026-03-01T10:15:30+0200"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		require.Equal(t, pattern.MatchString(s), isRFC3339(s), "%q", s)
		require.Equal(t, pattern.MatchString(s), isRFC3339([]byte(s)), "%q", s)
	})
}
