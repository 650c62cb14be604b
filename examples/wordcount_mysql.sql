-- Word count from a socket into MySQL, exactly once through failures.
-- Start a server first (nc -lk 9100) and a MySQL/MariaDB on 127.0.0.1:3306
-- (user root, no password, database test), then:
--   go run ./cmd/streamsql -f examples/wordcount_mysql.sql
-- Type words into nc, one per line. A line ERROR fails the job on purpose;
-- it restarts from its last checkpoint. Kill the process and run it again
-- with --restore latest: the counts continue.
SET 'execution.checkpointing.interval' = '2s';
SET 'state.checkpoints.dir' = '/tmp/streamsql-wordcount';
SET 'restart-strategy' = 'fixed-delay';
SET 'restart-strategy.fixed-delay.attempts' = '3';
SET 'restart-strategy.fixed-delay.delay' = '10s';

CREATE TABLE words (word STRING) WITH (
  'connector' = 'socket', 'hostname' = '127.0.0.1', 'port' = '9100', 'format' = 'text',
  'scan.wal' = 'false'
);

CREATE TABLE word_counts (word STRING, cnt BIGINT, PRIMARY KEY (word) NOT ENFORCED) WITH (
  'connector' = 'jdbc', 'url' = 'mysql://root@127.0.0.1:3306/test',
  'table-name' = 'word_counts', 'sink.create-table' = 'true'
);

INSERT INTO word_counts
SELECT word, COUNT(*) FROM words
WHERE CASE WHEN word = 'ERROR' THEN RAISE_ERROR('the input said ERROR') ELSE TRUE END
GROUP BY word;
