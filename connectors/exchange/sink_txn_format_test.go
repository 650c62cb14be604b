package exchange

import (
	"encoding/json"
	"testing"
)

// TestCommittableFormat: a committable's JSON is part of the checkpoint
// format; one written by an earlier release decodes, and encoding gives
// the same bytes.
func TestCommittableFormat(t *testing.T) {
	const old = `{"v":1,"transactional_id":"p-t-1-0","producer_id":9,"epoch":2,"checkpoint":5,"topic":"t","prefix":"p","producer":1,"pool_size":3}`
	var c committable
	if err := json.Unmarshal([]byte(old), &c); err != nil || !c.Valid() || c.TxnID != "p-t-1-0" || c.ProducerID != 9 || c.Epoch != 2 || c.Checkpoint != 5 || c.Producer != 1 || c.PoolSize != 3 {
		t.Fatalf("decoded %+v, %v", c, err)
	}
	if got, _ := json.Marshal(c); string(got) != old {
		t.Fatalf("encoded %s\nwant    %s", got, old)
	}
}
