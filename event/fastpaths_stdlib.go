//go:build cogwatch_stdlibjson

package event

// fastPaths: see fastpaths.go.
const fastPaths = false
