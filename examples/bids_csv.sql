-- Bids from a bundled CSV file: per auction, the number of bids and the top
-- price in every 5-second tumbling window of event time. Needs no other
-- program:
--   go run ./cmd/streamsql -f examples/bids_csv.sql
CREATE TABLE bids (
  auction BIGINT,
  bidder  BIGINT,
  price   BIGINT,
  ts      TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'filesystem',
  'path'      = 'examples/data/bids.csv',
  'format'    = 'csv'
);

-- A bounded query prints its final rows as a table.
SELECT auction,
       TUMBLE_START(ts, INTERVAL '5' SECOND) AS win_start,
       TUMBLE_END(ts, INTERVAL '5' SECOND)   AS win_end,
       COUNT(*)   AS bids,
       MAX(price) AS top_price
FROM bids
GROUP BY TUMBLE(ts, INTERVAL '5' SECOND), auction;

-- The same result as a job writing a changelog to the terminal: each
-- window is emitted once (+I) when the watermark passes its end.
CREATE TABLE window_counts (auction BIGINT, win_end TIMESTAMP(3), bids BIGINT)
  WITH ('connector' = 'print');
INSERT INTO window_counts
SELECT auction, TUMBLE_END(ts, INTERVAL '5' SECOND), COUNT(*)
FROM bids
GROUP BY TUMBLE(ts, INTERVAL '5' SECOND), auction;
