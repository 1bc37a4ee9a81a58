package tile

import "hash/maphash"

// valueSeed hashes property values for de-duplication within one process;
// the hash only finds candidates (equality decides), so tiles do not depend
// on it.
var valueSeed = maphash.MakeSeed()

func hashValue(k valueKey) uint64 { return maphash.Comparable(valueSeed, k) }

// valueTable maps property values to their index in a layer's value list:
// open addressing over hashes precomputed when features are stored, with
// generation stamps so that starting a new tile costs nothing whatever the
// size of the previous one. A Go map keyed by valueKey hashed the strings
// again on every lookup, and clearing it cost as much as its capacity.
type valueTable struct {
	slots []valueSlot // power-of-two length
	gen   uint32
	n     int
}

type valueSlot struct {
	hash uint64
	idx  uint32
	gen  uint32 // slot is in use when gen equals the table's
}

// reset empties the table.
func (t *valueTable) reset() {
	t.gen++
	t.n = 0
	if t.gen == 0 { // wrapped: stamps of old generations could match again
		clear(t.slots)
		t.gen = 1
	}
}

// index returns the index of k (hash h) in vals, appending it when new.
func (t *valueTable) index(h uint64, k valueKey, vals *[]valueKey) uint32 {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.gen != t.gen {
			idx := uint32(len(*vals))
			*s = valueSlot{hash: h, idx: idx, gen: t.gen}
			*vals = append(*vals, k)
			t.n++
			return idx
		}
		if s.hash == h && (*vals)[s.idx] == k {
			return s.idx
		}
	}
}

// grow doubles the slots (at least 256) and re-inserts the current values.
func (t *valueTable) grow() {
	old, gen := t.slots, t.gen
	t.slots = make([]valueSlot, max(256, 2*len(old)))
	if t.gen == 0 {
		t.gen = 1
	}
	mask := uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.gen != gen {
			continue
		}
		i := s.hash & mask
		for t.slots[i].gen == t.gen {
			i = (i + 1) & mask
		}
		t.slots[i] = valueSlot{hash: s.hash, idx: s.idx, gen: t.gen}
	}
}
