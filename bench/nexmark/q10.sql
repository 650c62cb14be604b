-- Nexmark q10 (log to file system): every bid, written into a filesystem table partitioned by
-- day and minute ('<path>/dt=2015-07-15/hm=00%3A00/part-<instance>-<n>.csv'; ':' is escaped as
-- Flink and Hive do). ${TMPDIR} is a temporary directory that the runner creates and removes.
-- Flink's 'sink.partition-commit.*', 'partition.time-extractor.*' and 'sink.rolling-policy.*'
-- options are left out: files are committed with each checkpoint, or at the end of the input.
CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'table' = 'bid', 'number-of-events' = '${EVENTS}');

CREATE TABLE nexmark_q10 (auction BIGINT, bidder BIGINT, price BIGINT, dateTime TIMESTAMP(3), extra VARCHAR,
  dt STRING, hm STRING
) PARTITIONED BY (dt, hm)
WITH ('connector' = 'filesystem', 'path' = '${TMPDIR}/nexmark_q10/', 'format' = 'csv');

INSERT INTO nexmark_q10
SELECT auction, bidder, price, dateTime, extra, DATE_FORMAT(dateTime, 'yyyy-MM-dd'), DATE_FORMAT(dateTime, 'HH:mm')
FROM bid;
