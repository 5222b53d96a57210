package certpdf

import (
	"container/list"
	"sync"
)

// lru is a small bounded least-recently-used cache. It only saves CPU
// (a QR encode costs about a millisecond); losing entries is harmless, so
// there is no persistence and no expiry.
type lru struct {
	mu    sync.Mutex
	cap   int
	order *list.List // front = most recently used
	items map[lruKey]*list.Element
}

type lruKey struct {
	kind string // "bits", "png" or "svg"
	url  string
	size int
}

type lruEntry struct {
	key lruKey
	val any
}

func newLRU(capacity int) *lru {
	return &lru{cap: capacity, order: list.New(), items: make(map[lruKey]*list.Element)}
}

func (c *lru) get(k lruKey) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruEntry).val, true
	}
	return nil, false
}

func (c *lru) put(k lruKey, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		e.Value.(*lruEntry).val = v
		c.order.MoveToFront(e)
		return
	}
	c.items[k] = c.order.PushFront(&lruEntry{key: k, val: v})
	for c.order.Len() > c.cap {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*lruEntry).key)
	}
}

func (c *lru) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
