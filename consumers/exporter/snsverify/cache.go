package snsverify

import (
	"context"
	"crypto/rsa"
	"fmt"
	"sync"
	"time"
)

// certCache holds parsed signing keys by certificate URL, at most size of
// them, each for at most ttl (and never past its certificate's NotAfter).
// Concurrent misses of one URL share one fetch.
//
// A failed fetch is remembered for failTTL, so that a flood of messages
// naming a failing or missing certificate makes one fetch per URL per
// failTTL. Failures are kept apart from keys, at most size of them: a
// failure only ever pushes out an older failure, never a good key.
type certCache struct {
	mu      sync.Mutex
	keys    map[string]*certEntry // fetched keys
	pending map[string]*certEntry // fetches in flight, and failures
	size    int
	ttl     time.Duration
	failTTL time.Duration
	now     func() time.Time
}

type certEntry struct {
	done    chan struct{} // closed when the fetch is over
	key     *rsa.PublicKey
	err     error
	expires time.Time
}

func newCertCache(size int, ttl, failTTL time.Duration, now func() time.Time) *certCache {
	return &certCache{keys: make(map[string]*certEntry), pending: make(map[string]*certEntry),
		size: size, ttl: ttl, failTTL: failTTL, now: now}
}

type fetchFunc func(context.Context) (*rsa.PublicKey, time.Time, error)

func (c *certCache) get(ctx context.Context, url string, fetch fetchFunc) (*rsa.PublicKey, error) {
	c.mu.Lock()
	now := c.now()
	if e := c.keys[url]; e != nil {
		if now.Before(e.expires) {
			c.mu.Unlock()
			return e.key, nil
		}
		delete(c.keys, url)
	}
	if e := c.pending[url]; e != nil {
		select {
		case <-e.done:
			if now.Before(e.expires) {
				c.mu.Unlock()
				return nil, fmt.Errorf("snsverify: certificate fetch failed less than %s ago: %w", c.failTTL, e.err)
			}
			delete(c.pending, url)
		default:
			c.mu.Unlock()
			select {
			case <-e.done:
				return e.key, e.err
			case <-ctx.Done():
				return nil, fmt.Errorf("%w: %w: %w", errCanceled, ErrCertFetch, ctx.Err())
			}
		}
	}
	e := &certEntry{done: make(chan struct{})}
	c.pending[url] = e
	c.mu.Unlock()

	// The fetch outlives a caller that gives up: others may be waiting on it.
	key, notAfter, err := fetch(context.WithoutCancel(ctx))

	c.mu.Lock()
	now = c.now()
	e.key, e.err = key, err
	delete(c.pending, url)
	if err == nil {
		e.expires = now.Add(c.ttl)
		if !notAfter.IsZero() && notAfter.Before(e.expires) {
			e.expires = notAfter
		}
		makeRoom(c.keys, c.size, now)
		c.keys[url] = e
	} else {
		e.expires = now.Add(c.failTTL)
		makeRoom(c.pending, c.size, now)
		c.pending[url] = e
	}
	close(e.done)
	c.mu.Unlock()
	return key, err
}

// makeRoom makes room for one more finished entry in m: expired entries go
// first, then the one closest to expiry. Fetches in flight neither count
// nor go.
func makeRoom(m map[string]*certEntry, size int, now time.Time) {
	if len(m) < size {
		return
	}
	var oldest string
	var oldestExp time.Time
	n := 0
	for url, e := range m {
		select {
		case <-e.done:
		default:
			continue
		}
		if !now.Before(e.expires) {
			delete(m, url)
			continue
		}
		n++
		if oldest == "" || e.expires.Before(oldestExp) {
			oldest, oldestExp = url, e.expires
		}
	}
	if n >= size && oldest != "" {
		delete(m, oldest)
	}
}
