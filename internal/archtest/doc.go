// Package archtest holds the tests that keep cogwatch's layers apart and
// keep heavy packages out of the triggers' cold start; it has no code of
// its own.
//
// Top to bottom: cmd → local → components (triggers, consumers, warmers,
// custom-resources, dashboards, api) → event, emf → internal. A package
// imports only packages of its own layer or below; of the binaries, only the
// cogwatch CLI links local/; bench/ is a module of its own. Tests may import
// upward (a trigger's test runs the local Lambda host). docs/architecture.md
// says why.
package archtest
