package exporter

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"slices"
	"sync"
	"time"
)

// key identifies a remembered message: the first 16 bytes of the SHA-256 of
// its kind and fields. Finding two messages with one key takes 2^64 work even
// for a publisher who chooses its event ids, and the key is the same in every
// process, so a window can be saved and loaded.
//
// Why not a cheaper keyed 128-bit hash (two hash/maphash sums with a secret
// seed)? It would be sound for replays: a replay repeats the signed
// MessageId and event id, so it hashes to the same key whatever the hash,
// and only validly signed messages are added, so a forger adds nothing. A
// collision only ever drops a message (counted as a duplicate), never counts
// one twice, and with a seed the attacker never sees, crafting one means
// guessing the seed. But maphash promises no resistance to chosen inputs
// (SHA-256 does, and a topic's publisher chooses its event ids), the seed
// would have to be stored in the dedupe file to keep the window across a
// restart (a change of its format), and the gain is small: the two SHA-256
// keys of a notification cost 0.24 µs, maphash's 0.10 µs (BenchmarkKeys),
// a saving of 0.3% of the handler's 45 µs a notification, which the RSA
// check dominates.
type key [16]byte

// Kinds of keys.
const (
	keyMessageID    = 'm' // SNS MessageId
	keyEventID      = 'e' // CloudEvents source and id
	keyConfirmation = 'c' // SubscriptionConfirmation topic and token
)

func keyOf(kind byte, fields ...string) key {
	b := make([]byte, 0, 128)
	b = append(b, kind)
	for _, f := range fields { // length-prefixed: no two field lists meet
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	sum := sha256.Sum256(b)
	return key(sum[:16])
}

// window remembers keys until a given second, to drop duplicates. A message
// is remembered until its signed Timestamp is older than the verifier's
// maximum age: from then on it is refused anyway. So the window holds for as
// long as a replay could be accepted, and no longer, and its size is the
// rate of verified messages times that age. Only messages signed for an
// allowed topic are added: a replay adds nothing.
type window struct {
	mu    sync.Mutex
	until map[key]uint32   // key → last second it is remembered (Unix)
	byEnd map[uint32][]key // second → keys remembered until then (or later, if extended since)
	first uint32           // no key is remembered until a second before this one
}

// newWindow returns a window with room for hint keys before it grows.
func newWindow(hint int) *window {
	return &window{until: make(map[key]uint32, hint), byEnd: make(map[uint32][]key), first: math.MaxUint32}
}

// second returns the last whole second at or after t (Unix), clamped.
func second(t time.Time) uint32 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return uint32(min(max(s, 0), math.MaxUint32))
}

// add remembers keys until the second of until, or longer if one already is,
// and reports whether none of them was known: adding every key of a message
// at once keeps a redelivery (same MessageId) and a re-publish (same event
// id, new MessageId) out, and a replay of either until the later expiry.
func (w *window) add(now, until time.Time, keys ...key) bool {
	end := second(until)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expireLocked(now)
	known := false
	for _, k := range keys {
		if _, ok := w.until[k]; ok {
			known = true
		}
	}
	for _, k := range keys {
		w.putLocked(k, end)
	}
	return !known
}

// known reports whether k is remembered.
func (w *window) known(now time.Time, k key) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expireLocked(now)
	_, ok := w.until[k]
	return ok
}

// reset forgets every key.
func (w *window) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.until)
	clear(w.byEnd)
	w.first = math.MaxUint32
}

// len returns the number of keys remembered at now.
func (w *window) len(now time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expireLocked(now)
	return len(w.until)
}

func (w *window) putLocked(k key, end uint32) {
	if old, ok := w.until[k]; ok && old >= end {
		return
	}
	w.until[k] = end
	w.byEnd[end] = append(w.byEnd[end], k)
	w.first = min(w.first, end)
}

// expireLocked forgets the keys remembered until a second before now.
func (w *window) expireLocked(now time.Time) {
	s := uint32(min(max(now.Unix(), 0), math.MaxUint32))
	for len(w.byEnd) > 0 && w.first < s {
		w.dropLocked(w.first)
		w.first++
	}
	if len(w.byEnd) == 0 {
		w.first = math.MaxUint32
	}
}

// dropLocked forgets the keys remembered until second end (not those
// extended since).
func (w *window) dropLocked(end uint32) {
	for _, k := range w.byEnd[end] {
		if w.until[k] == end {
			delete(w.until, k)
		}
	}
	delete(w.byEnd, end)
}

// appendRecords appends every remembered key and its second, as the dedupe
// file stores them.
func (w *window) appendRecords(b []byte) []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	b = slices.Grow(b, len(w.until)*recordSize)
	for k, end := range w.until {
		b = append(b, k[:]...)
		b = binary.BigEndian.AppendUint32(b, end)
	}
	return b
}
