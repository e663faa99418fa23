// Package disposable tells whether an email domain belongs to a disposable
// (throw-away) email service.
//
// The list is built from the disposable-domain data of the Go module
// github.com/AfterShip/email-verifier, pinned in go.mod: go generate
// (internal/gen) reads that module's source from the module cache and writes
// domains.txt, one IDNA-normalised ASCII domain a line, sorted bytewise. The
// file is embedded and searched in place by binary search, so using the list
// costs no start-up work and no heap: importing the upstream module instead
// would add about 50 ms and 21 MB to a cold start.
//
// A list entry matches only at or below the registrable domain of the name
// looked up, by the Public Suffix List in golang.org/x/net/publicsuffix: the
// public suffixes upstream lists (edu.pl, dynamic-DNS zones) match nothing.
//
// Privacy relays (Relays) are not disposable: they forward to a real inbox
// that the user keeps. They are left out of the list and always allowed unless
// the operator lists them as extra disposable domains.
//
// See docs/disposable.md for how the list is updated.
package disposable
