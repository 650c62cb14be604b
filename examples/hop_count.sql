-- "Every 1 second, the count of the last 4 seconds": a HOP window (slide
-- 1 s, size 4 s) over a generated, rate-limited stream whose event time is
-- the wall clock. Runs until Ctrl-C:
--   go run ./cmd/streamsql -f examples/hop_count.sql
CREATE TABLE clicks (
  user_id BIGINT,
  ts      TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '200' MILLISECOND
) WITH (
  'connector'            = 'datagen',
  'rows-per-second'      = '50',
  'fields.user_id.kind'  = 'random',
  'fields.user_id.min'   = '1',
  'fields.user_id.max'   = '5'
);

CREATE TABLE last4s (win_end TIMESTAMP(3), clicks BIGINT) WITH ('connector' = 'print');

INSERT INTO last4s
SELECT HOP_END(ts, INTERVAL '1' SECOND, INTERVAL '4' SECOND), COUNT(*)
FROM clicks
GROUP BY HOP(ts, INTERVAL '1' SECOND, INTERVAL '4' SECOND);
