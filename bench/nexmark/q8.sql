-- Nexmark q8 (monitor new users): people who opened an auction in the 10 s tumbling window they registered in.
-- One nexmark source of all events, as in Flink's setup: the tables are views over it, so the
-- joined inputs come from one source and advance together.
CREATE TABLE event (event_type BIGINT, dateTime TIMESTAMP(3), person_id BIGINT,
  person_name VARCHAR, person_emailAddress VARCHAR, person_creditCard VARCHAR, person_city VARCHAR,
  person_state VARCHAR, person_extra VARCHAR, auction_id BIGINT,
  auction_itemName VARCHAR, auction_description VARCHAR, auction_initialBid BIGINT,
  auction_reserve BIGINT, auction_expires TIMESTAMP(3),
  auction_seller BIGINT, auction_category BIGINT, auction_extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'table' = 'event', 'number-of-events' = '${EVENTS}');

CREATE VIEW person AS SELECT
  person_id AS id, person_name AS name, person_emailAddress AS emailAddress,
  person_creditCard AS creditCard, person_city AS city, person_state AS state, dateTime,
  person_extra AS extra
FROM event WHERE event_type = 0;

CREATE VIEW auction AS SELECT
  auction_id AS id, auction_itemName AS itemName, auction_description AS description,
  auction_initialBid AS initialBid, auction_reserve AS reserve, dateTime,
  auction_expires AS expires, auction_seller AS seller, auction_category AS category,
  auction_extra AS extra
FROM event WHERE event_type = 1;

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
