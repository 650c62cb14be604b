-- Nexmark q8 (monitor new users): people who opened an auction in the 10 s tumbling window they registered in.
CREATE TABLE person (id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR,
  city VARCHAR, state VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'table' = 'person', 'number-of-events' = '${EVENTS}');

CREATE TABLE auction (id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,
  reserve BIGINT, dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT,
  extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'table' = 'auction', 'number-of-events' = '${EVENTS}');

CREATE TABLE nexmark_q8 (id BIGINT, name VARCHAR, stime TIMESTAMP(3)) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q8
SELECT P.id, P.name, P.starttime
FROM (
  SELECT id, name,
    TUMBLE_START(dateTime, INTERVAL '10' SECOND) AS starttime,
    TUMBLE_END(dateTime, INTERVAL '10' SECOND) AS endtime
  FROM person
  GROUP BY id, name, TUMBLE(dateTime, INTERVAL '10' SECOND)
) P
JOIN (
  SELECT seller,
    TUMBLE_START(dateTime, INTERVAL '10' SECOND) AS starttime,
    TUMBLE_END(dateTime, INTERVAL '10' SECOND) AS endtime
  FROM auction
  GROUP BY seller, TUMBLE(dateTime, INTERVAL '10' SECOND)
) A
ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime;
