// Package domainlist turns the disposable-domain map literal of
// github.com/AfterShip/email-verifier into cogwatch's compact list: one
// IDNA-normalised ASCII domain a line, sorted bytewise, relays left out.
//
// It is used by the generator (go generate in triggers/disposable) and by the
// test that checks the committed list against the pinned dependency; the
// Lambdas never link it.
package domainlist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/cogwatch/cogwatch/triggers/disposable"
)

// Module is the registry dependency the list comes from.
const Module = "github.com/AfterShip/email-verifier"

// SourceFile is the file of Module that holds the list.
const SourceFile = "metadata_disposable.go"

// varName is the map variable in SourceFile.
const varName = "disposableDomains"

// ModuleInfo is what `go list -m -json` says of Module.
type ModuleInfo struct {
	Path    string
	Version string
	Dir     string
}

// Locate finds the pinned Module's source in the module cache, downloading it
// through the configured proxy when it is not there yet. dir is any directory
// inside the main module.
func Locate(dir string) (ModuleInfo, error) {
	var m ModuleInfo
	out, err := goCmd(dir, "list", "-m", "-json", Module)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(out, &m); err != nil {
		return m, fmt.Errorf("go list -m -json %s: %w", Module, err)
	}
	if m.Dir == "" { // listed in go.mod but not downloaded yet
		out, err := goCmd(dir, "mod", "download", "-json", Module+"@"+m.Version)
		if err != nil {
			return m, err
		}
		if err := json.Unmarshal(out, &m); err != nil {
			return m, fmt.Errorf("go mod download -json %s: %w", Module, err)
		}
	}
	if m.Dir == "" {
		return m, fmt.Errorf("%s %s: no source directory in the module cache", Module, m.Version)
	}
	return m, nil
}

func goCmd(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// SourcePath returns the path of SourceFile in m.
func (m ModuleInfo) SourcePath() string { return filepath.Join(m.Dir, SourceFile) }

// Parse extracts the keys of the disposableDomains map literal from the Go
// source src.
func Parse(src []byte) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), SourceFile, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", SourceFile, err)
	}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if name.Name != varName || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.CompositeLit)
				if !ok {
					return nil, fmt.Errorf("%s: %s is not a composite literal", SourceFile, varName)
				}
				keys := make([]string, 0, len(lit.Elts))
				for _, elt := range lit.Elts {
					kv, ok := elt.(*ast.KeyValueExpr)
					if !ok {
						return nil, fmt.Errorf("%s: element without a key", SourceFile)
					}
					bl, ok := kv.Key.(*ast.BasicLit)
					if !ok || bl.Kind != token.STRING {
						return nil, fmt.Errorf("%s: key is not a string literal", SourceFile)
					}
					if v, ok := kv.Value.(*ast.Ident); ok && v.Name == "false" {
						continue
					}
					k, err := strconv.Unquote(bl.Value)
					if err != nil {
						return nil, fmt.Errorf("%s: key %s: %w", SourceFile, bl.Value, err)
					}
					keys = append(keys, k)
				}
				return keys, nil
			}
		}
	}
	return nil, fmt.Errorf("%s: no var %s", SourceFile, varName)
}

// Result is a built list and what was left out of it.
type Result struct {
	Domains  []string // sorted, unique, normalised
	Excluded []string // relays (and their subdomains) found upstream
	Invalid  []string // upstream entries that do not normalise or have no dot

	// PublicSuffixes are the entries of Domains that are public suffixes
	// (ICANN or private section of the Public Suffix List): they stay in the
	// list, as upstream has them, and match nothing (see Checker.Match).
	PublicSuffixes []string
}

// Build normalises, deduplicates and sorts the upstream domains, leaving out
// exclude (and its subdomains).
func Build(upstream, exclude []string) (Result, error) {
	var r Result
	ex := make(map[string]bool, len(exclude))
	for _, e := range exclude {
		n, err := disposable.Normalize(e)
		if err != nil {
			return r, fmt.Errorf("exclude %q: %w", e, err)
		}
		ex[n] = true
	}
	for _, d := range upstream {
		n, err := disposable.Normalize(d)
		if err != nil || !strings.Contains(n, ".") || strings.ContainsAny(n, "\n\r") {
			r.Invalid = append(r.Invalid, d)
			continue
		}
		if excluded(n, ex) {
			r.Excluded = append(r.Excluded, n)
			continue
		}
		r.Domains = append(r.Domains, n)
	}
	slices.Sort(r.Domains)
	r.Domains = slices.Compact(r.Domains)
	if len(r.Domains) == 0 {
		return r, errors.New("no domains")
	}
	for _, d := range r.Domains {
		if ps, _ := publicsuffix.PublicSuffix(d); ps == d {
			r.PublicSuffixes = append(r.PublicSuffixes, d)
		}
	}
	return r, nil
}

func excluded(d string, ex map[string]bool) bool {
	for {
		if ex[d] {
			return true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return false
		}
		d = d[i+1:]
	}
}

// GoFile returns the generated Go source that records where the list came
// from and how long it is.
func GoFile(pkg string, m ModuleInfo, count int) []byte {
	return fmt.Appendf(nil, `// Code generated by go generate (internal/gen); DO NOT EDIT.

package %s

// Source is the module and version the embedded list was built from.
const Source = %q

// Count is the number of domains in the embedded list.
const Count = %d
`, pkg, m.Path+" "+m.Version, count)
}

// Encode writes the list as the embedded data file: one domain a line.
func Encode(domains []string) []byte {
	n := 0
	for _, d := range domains {
		n += len(d) + 1
	}
	b := make([]byte, 0, n)
	for _, d := range domains {
		b = append(b, d...)
		b = append(b, '\n')
	}
	return b
}
