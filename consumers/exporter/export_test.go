package exporter

// ForgetSeen forgets every message the dedupe window remembers: benchmarks
// cycle through a few signed messages that must be counted every time.
func (e *Exporter) ForgetSeen() { e.seen.reset() }
