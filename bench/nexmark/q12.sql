-- Nexmark q12 (processing-time windows): bids per bidder in each 10 s processing-time tumbling window.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  dateTime TIMESTAMP(3), extra VARCHAR, p_time AS PROCTIME(),
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'table' = 'bid', 'number-of-events' = '${EVENTS}');

CREATE TABLE nexmark_q12 (bidder BIGINT, bid_count BIGINT, starttime TIMESTAMP(3), endtime TIMESTAMP(3))
WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q12
SELECT bidder, COUNT(*) AS bid_count,
  TUMBLE_START(p_time, INTERVAL '10' SECOND) AS starttime,
  TUMBLE_END(p_time, INTERVAL '10' SECOND) AS endtime
FROM bid
GROUP BY bidder, TUMBLE(p_time, INTERVAL '10' SECOND);
