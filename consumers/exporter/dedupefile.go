package exporter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// The dedupe file (--sns.dedupe-file) holds the window across restarts:
//
//	"cogwatch dedupe 1\n"                       header, with the format version
//	n × (16-byte key, 4-byte big-endian second)  one record per remembered key
//	4-byte big-endian CRC-32C of all the above
//
// It holds hashes and times only: no message content, nothing personal.
const (
	dedupeHeader = "cogwatch dedupe 1\n"
	recordSize   = len(key{}) + 4
)

var (
	crc32c = crc32.MakeTable(crc32.Castagnoli)
	// errCorruptDedupe: the file is not a dedupe file this version wrote whole.
	errCorruptDedupe = errors.New("corrupt dedupe file")
)

func crc32Checksum(b []byte) uint32 { return crc32.Checksum(b, crc32c) }

// encodeDedupe returns the dedupe file of w.
func encodeDedupe(w *window) []byte {
	b := w.appendRecords([]byte(dedupeHeader))
	return binary.BigEndian.AppendUint32(b, crc32Checksum(b))
}

// decodeDedupe checks a dedupe file and returns its records.
func decodeDedupe(b []byte) ([]byte, error) {
	if len(b) < len(dedupeHeader)+4 || string(b[:len(dedupeHeader)]) != dedupeHeader {
		return nil, fmt.Errorf("%w: no %q header", errCorruptDedupe, dedupeHeader[:len(dedupeHeader)-1])
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32Checksum(body) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", errCorruptDedupe)
	}
	records := body[len(dedupeHeader):]
	if len(records)%recordSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes of records, not a multiple of %d", errCorruptDedupe, len(records), recordSize)
	}
	return records, nil
}

// load remembers the records that have not expired at now, and returns how
// many it kept and skipped.
func (w *window) load(now time.Time, records []byte) (kept, expired int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expireLocked(now)
	s := second(now)
	for i := 0; i+recordSize <= len(records); i += recordSize {
		k, end := key(records[i:i+len(key{})]), binary.BigEndian.Uint32(records[i+len(key{}):])
		if end < s {
			expired++
			continue
		}
		w.putLocked(k, end)
		kept++
	}
	return kept, expired
}

// loadDedupe loads o.DedupeFile into the window. A missing file is a first
// start. A corrupt one is moved aside to <file>.corrupt, kept for whoever
// wants to look, and the window starts empty: counting goes on, and only
// replays of messages from before the restart could be counted twice. A file
// that cannot be read at all is an error: it could not be written either.
func (e *Exporter) loadDedupe() error {
	path := e.o.DedupeFile
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		e.log.Info("no dedupe file yet: the window starts empty", "file", path)
		return nil
	}
	if err != nil {
		return fmt.Errorf("dedupe file: %w", err)
	}
	records, err := decodeDedupe(b)
	if err != nil {
		aside := path + ".corrupt"
		if rerr := os.Rename(path, aside); rerr != nil {
			return fmt.Errorf("dedupe file %s: %w, and it cannot be moved aside: %w", path, err, rerr)
		}
		e.log.Warn("dedupe file is corrupt: moved aside, the window starts empty (a replay of a message received before the restart would be counted again)",
			"file", path, "moved_to", aside, "err", err)
		return nil
	}
	kept, expired := e.seen.load(e.o.Now(), records)
	e.log.Info("dedupe window loaded", "file", path, "keys", kept, "expired", expired)
	return nil
}

// saveDedupe writes the window to o.DedupeFile atomically: a temporary file
// in the same directory, synced, then renamed over the old one.
func (e *Exporter) saveDedupe() error {
	if err := writeFileAtomic(e.o.DedupeFile, encodeDedupe(e.seen)); err != nil {
		return fmt.Errorf("dedupe file: %w", err)
	}
	return nil
}

func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil { // the rename itself, durable
		_ = d.Sync()
		d.Close()
	}
	return nil
}
