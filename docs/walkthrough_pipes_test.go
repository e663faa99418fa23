package docs_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// The walkthrough's commands other than `aws cognito-idp`: curl and the
// small pipelines around it (PKCE, pulling the code out of a redirect,
// reading a JSON answer). Each command is done in Go with only the options
// the page uses; any other option fails the test, so the page cannot show
// a command the test does not run.

// Tokens that words returns for the shell's own | and <<< (unquoted); a
// quoted "|" stays an ordinary word.
const (
	pipeTok = "\x00|"
	hereTok = "\x00<<<"
)

// pipeline runs words (from sh.words) as a shell pipeline and returns its
// standard output.
func (sh *shell) pipeline(words []string) (string, error) {
	var stdin string
	var stages [][]string
	cur := []string{}
	for i := 0; i < len(words); i++ {
		switch words[i] {
		case pipeTok:
			stages, cur = append(stages, cur), []string{}
		case hereTok:
			if i+1 == len(words) {
				return "", errors.New("<<< without a word")
			}
			if len(stages) > 0 {
				return "", errors.New("<<< only on the first command")
			}
			// A here-string is the word and a newline.
			stdin, i = words[i+1]+"\n", i+1
		default:
			cur = append(cur, words[i])
		}
	}
	stages = append(stages, cur)
	out := stdin
	for _, st := range stages {
		if len(st) == 0 {
			return "", errors.New("empty command in a pipeline")
		}
		var err error
		if out, err = sh.command(st, out); err != nil {
			return "", fmt.Errorf("%s: %w", st[0], err)
		}
	}
	return out, nil
}

// command runs one command of a pipeline on its standard input.
func (sh *shell) command(args []string, stdin string) (string, error) {
	switch args[0] {
	case "printf":
		if len(args) != 3 || args[1] != "%s" {
			return "", fmt.Errorf("only printf %%s WORD, got %q", args)
		}
		return args[2], nil
	case "openssl":
		return openssl(args[1:], stdin)
	case "tr":
		return tr(args[1:], stdin)
	case "sed":
		return sed(args[1:], stdin)
	case "jq":
		if len(args) != 3 || args[1] != "-r" || !strings.HasPrefix(args[2], ".") {
			return "", fmt.Errorf("only jq -r .key, got %q", args)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(stdin), &doc); err != nil {
			return "", err
		}
		v, ok := doc[args[2][1:]].(string)
		if !ok {
			return "", fmt.Errorf("%s is not a string in %s", args[2], stdin)
		}
		return v + "\n", nil
	case "curl":
		c, err := parseCurl(args[1:])
		if err != nil {
			return "", err
		}
		return sh.curl(c)
	}
	return "", fmt.Errorf("the walkthrough test does not know the command %q", args[0])
}

func openssl(args []string, stdin string) (string, error) {
	switch {
	case len(args) == 3 && args[0] == "rand" && args[1] == "-hex":
		n, err := strconv.Atoi(args[2])
		if err != nil || n <= 0 || n > 1024 {
			return "", fmt.Errorf("rand -hex %q", args[2])
		}
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b) + "\n", nil
	case len(args) == 3 && args[0] == "dgst" && args[1] == "-sha256" && args[2] == "-binary":
		sum := sha256.Sum256([]byte(stdin))
		return string(sum[:]), nil
	case len(args) == 2 && args[0] == "base64" && args[1] == "-A":
		return base64.StdEncoding.EncodeToString([]byte(stdin)) + "\n", nil
	}
	return "", fmt.Errorf("only openssl rand -hex N, dgst -sha256 -binary, base64 -A; got %q", args)
}

// tr with literal sets only (no ranges or classes): tr SET1 SET2, tr -d SET.
func tr(args []string, stdin string) (string, error) {
	switch {
	case len(args) == 2 && args[0] == "-d":
		return strings.Map(func(r rune) rune {
			if strings.ContainsRune(args[1], r) {
				return -1
			}
			return r
		}, stdin), nil
	case len(args) == 2 && !strings.HasPrefix(args[0], "-"):
		from, to := []rune(args[0]), []rune(args[1])
		literal := func(set string) bool { // no ranges, classes or escapes
			return !strings.ContainsAny(set, `[\`) && (len(set) < 3 || !strings.Contains(set[1:len(set)-1], "-"))
		}
		if len(from) != len(to) || !literal(args[0]) || !literal(args[1]) {
			return "", fmt.Errorf("only literal sets of one length, got %q", args)
		}
		return strings.Map(func(r rune) rune {
			for i, f := range from {
				if f == r {
					return to[i]
				}
			}
			return r
		}, stdin), nil
	}
	return "", fmt.Errorf("only tr SET1 SET2 and tr -d SET, got %q", args)
}

var sedSubst = regexp.MustCompile(`^s/((?:[^/\\]|\\.)*)/((?:[^/\\]|\\.)*)/$`)

// sed -E 's/RE/REPLACEMENT/' on each line, \1… in the replacement.
func sed(args []string, stdin string) (string, error) {
	if len(args) != 2 || args[0] != "-E" {
		return "", fmt.Errorf("only sed -E 's/RE/REPLACEMENT/', got %q", args)
	}
	m := sedSubst.FindStringSubmatch(args[1])
	if m == nil {
		return "", fmt.Errorf("only one s/RE/REPLACEMENT/ command, got %q", args[1])
	}
	re, err := regexp.Compile(m[1])
	if err != nil {
		return "", err
	}
	repl := regexp.MustCompile(`\\([0-9])`).ReplaceAllString(m[2], `$${$1}`)
	var b strings.Builder
	for line := range strings.Lines(stdin) {
		body := strings.TrimSuffix(line, "\n")
		if loc := re.FindStringSubmatchIndex(body); loc != nil {
			body = body[:loc[0]] + string(re.ExpandString(nil, repl, body, loc)) + body[loc[1]:]
		}
		b.WriteString(body + "\n")
	}
	return b.String(), nil
}

// curlCall is a parsed curl command line.
type curlCall struct {
	url     string
	form    []string // -d and --data-urlencode, in order, encoded
	user    string   // -u
	discard bool     // -o /dev/null
	write   string   // -w
}

func parseCurl(args []string) (curlCall, error) {
	var c curlCall
	for len(args) > 0 {
		a := args[0]
		args = args[1:]
		takes := func() (string, error) {
			if len(args) == 0 {
				return "", fmt.Errorf("%s takes a value", a)
			}
			v := args[0]
			args = args[1:]
			return v, nil
		}
		var v string
		var err error
		switch a {
		case "-s":
		case "-o":
			if v, err = takes(); err == nil && v != "/dev/null" {
				err = fmt.Errorf("-o %s: only /dev/null", v)
			}
			c.discard = true
		case "-w":
			if v, err = takes(); err == nil && strings.ReplaceAll(strings.ReplaceAll(v, "%{redirect_url}", ""), "%{http_code}", "") != "" {
				err = fmt.Errorf("-w %q: only %%{redirect_url} and %%{http_code}", v)
			}
			c.write = v
		case "-d":
			if v, err = takes(); err == nil {
				c.form = append(c.form, v)
			}
		case "--data-urlencode":
			if v, err = takes(); err == nil {
				name, content, found := strings.Cut(v, "=")
				if !found {
					name, content = "", v
				}
				enc := url.QueryEscape(content)
				if name != "" {
					enc = name + "=" + enc
				}
				c.form = append(c.form, enc)
			}
		case "-u":
			c.user, err = takes()
		default:
			if strings.HasPrefix(a, "-") {
				return c, fmt.Errorf("the walkthrough test does not know the option %s", a)
			}
			if c.url != "" {
				return c, fmt.Errorf("two URLs: %s and %s", c.url, a)
			}
			c.url = a
		}
		if err != nil {
			return c, err
		}
	}
	if c.url == "" {
		return c, errors.New("no URL")
	}
	return c, nil
}

// curl does what curl does with c: a GET, or a POST of the form data;
// redirects are not followed; the output is the body (unless discarded)
// and then the -w text.
func (sh *shell) curl(c curlCall) (string, error) {
	method, body := http.MethodGet, io.Reader(nil)
	if len(c.form) > 0 {
		method, body = http.MethodPost, strings.NewReader(strings.Join(c.form, "&"))
	}
	req, err := http.NewRequestWithContext(sh.ctx, method, c.url, body)
	if err != nil {
		return "", err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.user != "" {
		u, p, _ := strings.Cut(c.user, ":")
		req.SetBasicAuth(u, p)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	sh.lastStatus = resp.StatusCode
	var out bytes.Buffer
	if !c.discard {
		out.Write(b)
	}
	redirect := ""
	if loc, err := resp.Location(); err == nil {
		redirect = loc.String()
	}
	out.WriteString(strings.NewReplacer("%{redirect_url}", redirect, "%{http_code}", strconv.Itoa(resp.StatusCode)).Replace(c.write))
	return out.String(), nil
}
