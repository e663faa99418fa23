package exporter

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 500_000_000, time.UTC)
	w := newWindow(0)
	a, b, c := keyOf(keyMessageID, "a"), keyOf(keyEventID, "src", "a"), keyOf(keyMessageID, "c")
	require.True(t, w.add(t0, t0.Add(time.Hour), a, b))
	require.False(t, w.add(t0.Add(time.Minute), t0.Add(time.Hour), a), "same MessageId")
	require.False(t, w.add(t0.Add(time.Minute), t0.Add(time.Hour+time.Minute), c, b), "same event, new MessageId")
	require.True(t, w.known(t0.Add(time.Hour+time.Second/2), a), "remembered to the end of its second (rounded up)")
	require.False(t, w.known(t0.Add(time.Hour+2*time.Second), a))
	require.True(t, w.known(t0.Add(time.Hour+2*time.Second), b), "extended by the later MessageId")
	require.True(t, w.known(t0.Add(time.Hour+2*time.Second), c), "the later MessageId, added with the duplicate")
	require.Equal(t, 2, w.len(t0.Add(time.Hour+2*time.Second)))
	require.Zero(t, w.len(t0.Add(48*time.Hour)))
	require.True(t, w.add(t0.Add(48*time.Hour), t0.Add(49*time.Hour), a), "a key is new again after its window")

	require.NotEqual(t, keyOf(keyEventID, "ab", "c"), keyOf(keyEventID, "a", "bc"), "fields do not run into each other")
	require.NotEqual(t, keyOf(keyEventID, "a"), keyOf(keyMessageID, "a"), "kinds do not meet")
}

func TestDedupeFileRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := newWindow(0)
	for i := range 100 {
		w.add(t0, t0.Add(time.Duration(i)*time.Minute), keyOf(keyMessageID, fmt.Sprint(i)))
	}
	file := encodeDedupe(w)
	records, err := decodeDedupe(file)
	require.NoError(t, err)
	loaded := newWindow(0)
	kept, expired := loaded.load(t0.Add(30*time.Minute), records)
	require.Equal(t, 70, kept)
	require.Equal(t, 30, expired)
	require.True(t, loaded.known(t0.Add(30*time.Minute), keyOf(keyMessageID, "30")))
	require.False(t, loaded.known(t0.Add(30*time.Minute), keyOf(keyMessageID, "29")))

	for name, bad := range map[string][]byte{
		"empty":        nil,
		"other file":   []byte("hello, world: this is not it"),
		"truncated":    file[:len(file)-7],
		"bit flipped":  flip(file, len(dedupeHeader)+3),
		"torn record":  withCRC(append([]byte(dedupeHeader), 1, 2, 3)),
		"other header": withCRC([]byte("cogwatch dedupe 2\n")),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeDedupe(bad)
			require.ErrorIs(t, err, errCorruptDedupe)
		})
	}
}

func flip(b []byte, i int) []byte {
	b = append([]byte(nil), b...)
	b[i] ^= 1
	return b
}

func withCRC(b []byte) []byte {
	return binary.BigEndian.AppendUint32(b, crc32Checksum(b))
}

// FuzzDedupeFile: any file is either refused as corrupt or decodes to
// records that, loaded and written again, give back the same records.
func FuzzDedupeFile(f *testing.F) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := newWindow(0)
	f.Add(encodeDedupe(w))
	w.add(t0, t0.Add(time.Hour), keyOf(keyMessageID, "m"), keyOf(keyEventID, "s", "e"))
	f.Add(encodeDedupe(w))
	f.Add([]byte(dedupeHeader))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		records, err := decodeDedupe(b)
		if err != nil {
			require.ErrorIs(t, err, errCorruptDedupe)
			return
		}
		require.Zero(t, len(records)%recordSize)
		w := newWindow(0)
		kept, expired := w.load(time.Unix(0, 0), records)
		require.Equal(t, len(records)/recordSize, kept+expired)
		again, err := decodeDedupe(encodeDedupe(w))
		require.NoError(t, err)
		require.Equal(t, recordSet(t, records), recordSet(t, again))
	})
}

// recordSet returns each key's latest second: a file may name a key twice.
func recordSet(t *testing.T, records []byte) map[key]uint32 {
	t.Helper()
	set := map[key]uint32{}
	for i := 0; i < len(records); i += recordSize {
		k, end := key(records[i:i+len(key{})]), binary.BigEndian.Uint32(records[i+len(key{}):])
		set[k] = max(set[k], end)
	}
	return set
}

// BenchmarkWindow measures the dedupe window as the exporter uses it: two
// keys a message (MessageId, event id), messages 1 ms apart (1,000 a second),
// each remembered for an hour. "add" is one message's keys and lookup in the
// steady state; "memory" fills a window with n messages and reports the heap
// each holds (bytes/msg).
func BenchmarkWindow(b *testing.B) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	id := func(i int) (string, string) {
		return fmt.Sprintf("%08x-8d2c-5b5c-9e1a-%012x", i, i), fmt.Sprintf("%08x-1b1e-4c7d-b2f5-%012x", i, i)
	}
	const source = "cogwatch/us-east-1/us-east-1_AbC123"
	m, e := id(1)
	b.Run("keys", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			keyOf(keyMessageID, m)
			keyOf(keyEventID, source, e)
		}
	})
	b.Run("add", func(b *testing.B) {
		const n = 1 << 20
		keys := make([][2]key, n)
		for i := range keys {
			m, e := id(i)
			keys[i] = [2]key{keyOf(keyMessageID, m), keyOf(keyEventID, source, e)}
		}
		b.ReportAllocs()
		w := newWindow(0)
		i := 0
		for b.Loop() {
			// Every n messages, two hours pass: the keys are new again.
			at := t0.Add(time.Duration(i)*time.Millisecond + time.Duration(i/n)*2*time.Hour)
			if !w.add(at, at.Add(time.Hour), keys[i%n][0], keys[i%n][1]) {
				b.Fatal("duplicate")
			}
			i++
		}
	})
	for _, n := range []int{100_000, 3_600_000} { // 3.6 M: one hour at 1,000 a second
		b.Run(fmt.Sprintf("memory/messages=%d", n), func(b *testing.B) {
			keys := make([][2]key, n)
			for i := range keys {
				m, e := id(i)
				keys[i] = [2]key{keyOf(keyMessageID, m), keyOf(keyEventID, source, e)}
			}
			var perMsg float64
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				w := newWindow(0)
				for i, k := range keys {
					at := t0.Add(time.Duration(i) * time.Millisecond)
					w.add(at, at.Add(time.Hour), k[0], k[1])
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				perMsg = float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
				runtime.KeepAlive(w)
			}
			b.ReportMetric(perMsg, "bytes/msg")
			b.ReportMetric(perMsg*3_600_000/(1<<20), "MiB/(1000msg/s*1h)")
		})
	}
}

// BenchmarkKeys measures the two dedupe keys of a notification (MessageId;
// event source and id) as SHA-256 makes them, beside a keyed 128-bit
// hash/maphash of the same bytes: the cheaper alternative not taken (see
// key).
func BenchmarkKeys(b *testing.B) {
	const messageID, source, eventID = "6bd4a8b8-1c1e-5b6f-9d0f-6f6e2a0a3c11",
		"cogwatch/us-east-1/us-east-1_AbCdEfGhI", "0f8fad5b-d9cb-469f-a165-70867728950e"
	b.Run("sha256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = keyOf(keyMessageID, messageID)
			_ = keyOf(keyEventID, source, eventID)
		}
	})
	seeds := [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	maphashKey := func(kind byte, fields ...string) (k key) {
		for i, seed := range seeds {
			var h maphash.Hash
			h.SetSeed(seed)
			_ = h.WriteByte(kind)
			for _, f := range fields {
				var n [binary.MaxVarintLen64]byte
				_, _ = h.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
				_, _ = h.WriteString(f)
			}
			binary.LittleEndian.PutUint64(k[8*i:], h.Sum64())
		}
		return k
	}
	b.Run("maphash-128", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = maphashKey(keyMessageID, messageID)
			_ = maphashKey(keyEventID, source, eventID)
		}
	})
}
