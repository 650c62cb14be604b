-- Word count over text typed into a socket. Start a server first:
--   nc -lk 9100
-- then run
--   go run ./cmd/streamsql -f examples/wordcount.sql
-- and type words into nc, one word per line. The running count per word is
-- a changelog: the first occurrence prints +I, each later one -U (old
-- count) and +U (new count). Ctrl-C stops the job.
CREATE TABLE words (word STRING) WITH (
  'connector' = 'socket',
  'hostname'  = '127.0.0.1',
  'port'      = '9100',
  'format'    = 'text'
);

CREATE TABLE counts (word STRING, cnt BIGINT) WITH ('connector' = 'print');

INSERT INTO counts
SELECT LOWER(TRIM(word)), COUNT(*)
FROM words
WHERE TRIM(word) <> ''
GROUP BY LOWER(TRIM(word));
