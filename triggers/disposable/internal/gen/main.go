// Command gen rebuilds triggers/disposable's embedded list from the pinned
// github.com/AfterShip/email-verifier module in the module cache.
//
//	go generate ./triggers/disposable
//
// It writes domains.txt (one normalised domain a line, sorted) and
// source_gen.go (the module version and the count) in the current directory.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cogwatch/cogwatch/triggers/disposable"
	"github.com/cogwatch/cogwatch/triggers/disposable/internal/domainlist"
)

func main() {
	dir := flag.String("dir", ".", "directory to write domains.txt and source_gen.go into")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	m, err := domainlist.Locate(dir)
	if err != nil {
		return err
	}
	src, err := os.ReadFile(m.SourcePath())
	if err != nil {
		return err
	}
	upstream, err := domainlist.Parse(src)
	if err != nil {
		return err
	}
	r, err := domainlist.Build(upstream, disposable.Relays)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, disposable.DataFile), domainlist.Encode(r.Domains), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "source_gen.go"), domainlist.GoFile("disposable", m, len(r.Domains)), 0o644); err != nil {
		return err
	}
	fmt.Printf("%s %s: %d upstream, %d written, %d relays left out %v, %d invalid %q\n",
		m.Path, m.Version, len(upstream), len(r.Domains), len(r.Excluded), r.Excluded, len(r.Invalid), r.Invalid)
	fmt.Printf("%d public suffixes kept, matching nothing (list them in docs/disposable.md): %v\n",
		len(r.PublicSuffixes), r.PublicSuffixes)
	return nil
}
