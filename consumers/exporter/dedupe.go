package exporter

import "sync"

// recent remembers the last n keys, to drop duplicates. A key is a
// CloudEvents id or an SNS MessageId, prefixed by its kind.
type recent struct {
	mu   sync.Mutex
	set  map[string]struct{}
	ring []string
	next int
}

func newRecent(n int) *recent {
	return &recent{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add records keys unless one of them is already known; it reports whether
// they were new. Adding all keys of a message at once keeps a redelivery
// (same MessageId) and a re-publish (same event id, new MessageId) out.
func (r *recent) add(keys ...string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		if _, ok := r.set[k]; ok {
			return false
		}
	}
	for _, k := range keys {
		if old := r.ring[r.next]; old != "" {
			delete(r.set, old)
		}
		r.ring[r.next] = k
		r.set[k] = struct{}{}
		r.next = (r.next + 1) % len(r.ring)
	}
	return true
}
