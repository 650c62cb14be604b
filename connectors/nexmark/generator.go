package nexmark

import (
	"math"
	"math/bits"
	"strconv"
	"time"
)

// Generator constants (the Nexmark generator's).
const (
	firstPersonID   = 1000
	firstAuctionID  = 1000
	firstCategoryID = 10
	numCategories   = 5

	personProportion  = 1
	auctionProportion = 3
	bidProportion     = 46
	totalProportion   = personProportion + auctionProportion + bidProportion

	// numActivePeople bounds the people a random seller or bidder is drawn from.
	numActivePeople = 1000
	// numInFlightAuctions bounds the auctions a random bid is drawn from.
	numInFlightAuctions = 100
	// personIDLead and auctionIDLead: random ids may lie this far beyond
	// the last generated person or auction.
	personIDLead  = 10
	auctionIDLead = 10
	// Hot sellers, auctions and bidders are the first (bidders: second) of
	// each batch of this many people or auctions.
	hotBatch = 100

	avgPersonBytes  = 200
	avgAuctionBytes = 500
	avgBidBytes     = 100

	numChannels     = 10000
	hotChannelRatio = 2

	minStringLength = 3
)

// BaseTime is the event time of event 0: 2015-07-15 00:00:00 UTC, in
// milliseconds since the Unix epoch.
var BaseTime = time.Date(2015, 7, 15, 0, 0, 0, 0, time.UTC).UnixMilli()

// Event types (the event_type column).
const (
	PersonEvent  = 0
	AuctionEvent = 1
	BidEvent     = 2
)

// eventType returns the type of event number n.
func eventType(n int64) int {
	switch r := n % totalProportion; {
	case r < personProportion:
		return PersonEvent
	case r < personProportion+auctionProportion:
		return AuctionEvent
	}
	return BidEvent
}

// eventOfRow returns the event number of the m-th (from 0) event of type
// typ, or m itself for typ < 0 (every event).
func eventOfRow(typ int, m int64) int64 {
	switch typ {
	case PersonEvent:
		return m/personProportion*totalProportion + m%personProportion
	case AuctionEvent:
		return m/auctionProportion*totalProportion + personProportion + m%auctionProportion
	case BidEvent:
		return m/bidProportion*totalProportion + personProportion + auctionProportion + m%bidProportion
	}
	return m
}

// rowsBelow returns how many events of type typ (every event for typ < 0)
// have an event number below n.
func rowsBelow(typ int, n int64) int64 {
	full, rem := n/totalProportion, n%totalProportion
	clamp := func(x, hi int64) int64 { return max(0, min(x, hi)) }
	switch typ {
	case PersonEvent:
		return full*personProportion + clamp(rem, personProportion)
	case AuctionEvent:
		return full*auctionProportion + clamp(rem-personProportion, auctionProportion)
	case BidEvent:
		return full*bidProportion + clamp(rem-personProportion-auctionProportion, bidProportion)
	}
	return n
}

// lastPerson returns the last person id (base 0) generated at or before
// event n.
func lastPerson(n int64) int64 {
	epoch, off := n/totalProportion, n%totalProportion
	if off >= personProportion {
		off = personProportion - 1
	}
	return epoch*personProportion + off
}

// lastAuction returns the last auction id (base 0) generated at or before
// event n (-1 before the first auction).
func lastAuction(n int64) int64 {
	epoch, off := n/totalProportion, n%totalProportion
	switch {
	case off < personProportion:
		epoch--
		off = auctionProportion - 1
	case off >= personProportion+auctionProportion:
		off = auctionProportion - 1
	default:
		off -= personProportion
	}
	return epoch*auctionProportion + off
}

// randomPerson draws a person id (base 0) among the active people, plus a
// few not generated yet.
func randomPerson(n int64, r *rng) int64 {
	people := lastPerson(n) + 1
	active := min(people, numActivePeople)
	return people - active + int64(r.intn(uint64(active+personIDLead)))
}

// randomAuction draws an auction id (base 0) among those likely still in
// flight, plus a few not generated yet.
func randomAuction(n int64, r *rng) int64 {
	hi := lastAuction(n)
	lo := max(hi-numInFlightAuctions, 0)
	return lo + int64(r.intn(uint64(hi-lo+1+auctionIDLead)))
}

const gamma = 0x9E3779B97F4A7C15

func mix(x uint64) uint64 {
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// rng is a SplitMix64 stream.
type rng struct{ s uint64 }

// stream returns the random stream of field k of the event with hash h:
// every field draws from its own stream, so a field's value does not
// depend on which other fields the table declares.
func stream(h uint64, k uint64) rng { return rng{h + k*0xD1B54A32D192ED03} }

func (r *rng) next() uint64 {
	r.s += gamma
	return mix(r.s)
}

// intn returns a number in [0, n), n > 0.
func (r *rng) intn(n uint64) uint64 {
	hi, _ := bits.Mul64(r.next(), n)
	return hi
}

// priceTab[k][i] is 10^(6 * i * 2^(-10(k+1))), times 100 for k = 0: a
// price is 100 * 10^(6u) for u uniform in [0, 1) on 30 bits, the product
// of three table entries.
var priceTab = func() (t [3][1024]float64) {
	for k := range t {
		for i := range t[k] {
			t[k][i] = math.Pow(10, 6*float64(i)/math.Pow(1024, float64(k+1)))
		}
	}
	for i := range t[0] {
		t[0][i] *= 100
	}
	return t
}()

// price returns a price in cents, log-uniform from 1.00 to 1,000,000.00.
func price(r *rng) int64 {
	u := r.next() >> 34
	return int64(math.Round(priceTab[0][u>>20] * priceTab[1][u>>10&1023] * priceTab[2][u&1023]))
}

// appendString appends a random string of 3 to maxLen-1 lower-case letters
// and (one in 13) the special character, with spaces trimmed at both ends.
func appendString(buf []byte, r *rng, maxLen int, special byte) []byte {
	n := minStringLength + int(r.intn(uint64(maxLen-minStringLength)))
	start := len(buf)
	for ; n > 0; n-- {
		x := r.next()
		hi, lo := bits.Mul64(x, 13)
		if hi == 0 {
			buf = append(buf, special)
			continue
		}
		c, _ := bits.Mul64(lo, 26)
		buf = append(buf, byte('a'+c))
	}
	if special != ' ' {
		return buf
	}
	// trim spaces
	s := buf[start:]
	i, j := 0, len(s)
	for i < j && s[i] == ' ' {
		i++
	}
	for j > i && s[j-1] == ' ' {
		j--
	}
	if i > 0 {
		copy(s, s[i:j])
	}
	return buf[:start+j-i]
}

// letters is a fixed text of random lower-case letters that padding is
// cut from.
var letters = func() []byte {
	b := make([]byte, 1<<14)
	r := rng{0x6C657474657273}
	for i := range b {
		b[i] = byte('a' + r.intn(26))
	}
	return b
}()

// appendExact appends n random lower-case letters: a slice of letters at
// a random offset (n <= len(letters)).
func appendExact(buf []byte, r *rng, n int) []byte {
	off := r.intn(uint64(len(letters) - n + 1))
	return append(buf, letters[off:off+uint64(n)]...)
}

// appendExtra appends padding so that the event's size, currentSize
// without it, is desiredAvg on average (within ±20%).
func appendExtra(buf []byte, r *rng, currentSize, desiredAvg int) []byte {
	if currentSize > desiredAvg {
		return buf
	}
	d := desiredAvg - currentSize
	delta := int(math.Round(float64(d) * 0.2))
	size := d - delta
	if delta > 0 {
		size += int(r.intn(uint64(2 * delta)))
	}
	return appendExact(buf, r, size)
}

var (
	usStates   = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	usCities   = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	firstNames = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames  = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	// hotChannels are the channels of half the bids.
	hotChannels = []string{"Google", "Facebook", "Baidu", "Apple"}
)

// channels holds the channel names and urls of a seed.
type channels struct {
	hotURLs [4]string
	names   []string // "channel-<n>"
	urls    []string
}

func baseURL(r *rng) string {
	b := []byte("https://www.nexmark.com/")
	for i := 0; i < 3; i++ {
		b = appendString(b, r, 5, '_')
		b = append(b, '/')
	}
	return string(append(b, "item.htm?query=1"...))
}

func newChannels(seed uint64) *channels {
	c := &channels{names: make([]string, numChannels), urls: make([]string, numChannels)}
	h := mix(seed ^ 0x6E65786D61726B) // per-seed channel table
	for i := range c.hotURLs {
		r := stream(h, uint64(i))
		c.hotURLs[i] = baseURL(&r)
	}
	for i := 0; i < numChannels; i++ {
		r := stream(h, uint64(len(c.hotURLs)+i))
		u := baseURL(&r)
		if r.intn(10) > 0 {
			id := int64(int32(bits.Reverse32(uint32(i))))
			if id < 0 {
				id = -id
			}
			u += "&channel_id=" + strconv.FormatInt(id, 10)
		}
		c.names[i] = "channel-" + strconv.Itoa(i)
		c.urls[i] = u
	}
	return c
}
