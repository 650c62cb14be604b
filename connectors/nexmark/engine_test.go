package nexmark_test

import (
	"io"
	"testing"

	_ "github.com/streamsql/streamsql/connectors/nexmark"
	"github.com/streamsql/streamsql/engine"
)

// TestEngineCountBids reads a bounded bid table through the engine: of
// 100000 events, 46 in 50 are bids.
func TestEngineCountBids(t *testing.T) {
	e := engine.New(engine.Options{Stdout: io.Discard, Stderr: io.Discard})
	err := e.Exec(`SET 'parallelism.default' = '2';
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'table' = 'bid', 'number-of-events' = '100000');`)
	if err != nil {
		t.Fatal(err)
	}
	_, rows, err := e.Query(`SELECT COUNT(*), MIN(dateTime), MAX(auction) >= 1000 FROM bid`)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0][0].Int() != 92000 {
		t.Fatalf("rows %v", rows)
	}
	if rows[0][1].Millis() != 1436918400000 || !rows[0][2].Bool() { // 2015-07-15 00:00:00 UTC
		t.Fatalf("row %v", rows[0])
	}
	// a tumbling window over event time: 100000 events at 10000 per second
	// are 10 seconds, 9200 bids each
	_, rows, err = e.Query(`SELECT TUMBLE_START(dateTime, INTERVAL '1' SECOND), COUNT(*) FROM bid
GROUP BY TUMBLE(dateTime, INTERVAL '1' SECOND)`)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 10 {
		t.Fatalf("%d windows: %v", len(rows), rows)
	}
	for _, r := range rows {
		if r[1].Int() != 9200 {
			t.Fatalf("window %v", r)
		}
	}
	// the single-table form, with a view of its bids
	err = e.Exec(`CREATE TABLE ev (event_type INT, dateTime TIMESTAMP(3), person_id BIGINT, auction_seller BIGINT,
  bid_auction BIGINT, bid_price BIGINT,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'table' = 'event', 'number-of-events' = '50000', 'splits' = '3');
CREATE VIEW bids AS SELECT bid_auction AS auction, bid_price AS price, dateTime FROM ev WHERE event_type = 2;`)
	if err != nil {
		t.Fatal(err)
	}
	_, rows, err = e.Query(`SELECT COUNT(*), COUNT(person_id), COUNT(auction_seller), COUNT(bid_auction) FROM ev`)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0][0].Int() != 50000 || rows[0][1].Int() != 1000 || rows[0][2].Int() != 3000 || rows[0][3].Int() != 46000 {
		t.Fatalf("rows %v", rows)
	}
	_, rows, err = e.Query(`SELECT COUNT(*) FROM bids WHERE price > 0`)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0][0].Int() != 46000 {
		t.Fatalf("rows %v", rows)
	}
}
