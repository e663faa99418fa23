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
// Concurrent misses of one URL share one fetch. Failures are not cached, so
// that a retried message fetches again.
type certCache struct {
	mu      sync.Mutex
	entries map[string]*certEntry
	size    int
	ttl     time.Duration
	now     func() time.Time
}

type certEntry struct {
	done    chan struct{} // closed when the fetch is over
	key     *rsa.PublicKey
	err     error
	expires time.Time
}

func newCertCache(size int, ttl time.Duration, now func() time.Time) *certCache {
	return &certCache{entries: make(map[string]*certEntry), size: size, ttl: ttl, now: now}
}

type fetchFunc func(context.Context) (*rsa.PublicKey, time.Time, error)

func (c *certCache) get(ctx context.Context, url string, fetch fetchFunc) (*rsa.PublicKey, error) {
	c.mu.Lock()
	now := c.now()
	if e := c.entries[url]; e != nil {
		select {
		case <-e.done:
			if e.err == nil && now.Before(e.expires) {
				c.mu.Unlock()
				return e.key, nil
			}
			delete(c.entries, url)
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
	c.evictLocked(now)
	e := &certEntry{done: make(chan struct{})}
	c.entries[url] = e
	c.mu.Unlock()

	// The fetch outlives a caller that gives up: others may be waiting on it.
	key, notAfter, err := fetch(context.WithoutCancel(ctx))

	c.mu.Lock()
	e.key, e.err = key, err
	e.expires = now.Add(c.ttl)
	if !notAfter.IsZero() && notAfter.Before(e.expires) {
		e.expires = notAfter
	}
	if err != nil && c.entries[url] == e {
		delete(c.entries, url)
	}
	close(e.done)
	c.mu.Unlock()
	return key, err
}

// evictLocked makes room for one entry: expired entries go first, then the
// one closest to expiry. Entries being fetched stay.
func (c *certCache) evictLocked(now time.Time) {
	if len(c.entries) < c.size {
		return
	}
	var oldest string
	var oldestExp time.Time
	for url, e := range c.entries {
		select {
		case <-e.done:
		default:
			continue
		}
		if !now.Before(e.expires) {
			delete(c.entries, url)
			continue
		}
		if oldest == "" || e.expires.Before(oldestExp) {
			oldest, oldestExp = url, e.expires
		}
	}
	if len(c.entries) >= c.size && oldest != "" {
		delete(c.entries, oldest)
	}
}
