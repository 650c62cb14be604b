-- Nexmark q13 (bounded side input join): every bid joined with the row of a bounded side
-- table of 10,000 rows whose key is the bid's auction modulo 10,000, as the table is when the bid
-- is processed (a lookup join: FOR SYSTEM_TIME AS OF a processing-time attribute). Flink reads
-- the side input from a CSV file; here it is a bounded 'datagen' table of 10,000 rows (key the
-- sequence 0..9999, value a random 10-character string; 'rows-per-second' = '0' so that it loads
-- at once), so the query needs no file. The lookup table is loaded into memory when the join
-- starts; it is not read by a source task. The probe side's processing-time attribute is selected
-- with PROCTIME() in a subquery, as in Flink's text.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'table' = 'bid', 'number-of-events' = '${EVENTS}');

CREATE TABLE side_input (`key` BIGINT, `value` VARCHAR)
WITH ('connector' = 'datagen', 'number-of-rows' = '10000', 'rows-per-second' = '0',
  'fields.key.kind' = 'sequence', 'fields.key.start' = '0', 'fields.key.end' = '9999',
  'fields.value.length' = '10');

CREATE TABLE nexmark_q13 (auction BIGINT, bidder BIGINT, price BIGINT, dateTime TIMESTAMP(3), extra VARCHAR,
  `value` VARCHAR)
WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q13
SELECT B.auction, B.bidder, B.price, B.dateTime, B.extra, S.`value`
FROM (SELECT *, PROCTIME() AS p_time FROM bid) B
JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S
ON mod(B.auction, 10000) = S.key;
