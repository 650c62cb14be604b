-- Nexmark q3 (local item suggestion): auctions in category 10 by sellers in OR, ID or CA.
-- One nexmark source of all events, as in Flink's setup: the tables are views over it, so the
-- joined inputs come from one source and advance together.
CREATE TABLE event (event_type BIGINT, dateTime TIMESTAMP(3), auction_id BIGINT,
  auction_itemName VARCHAR, auction_description VARCHAR, auction_initialBid BIGINT,
  auction_reserve BIGINT, auction_expires TIMESTAMP(3),
  auction_seller BIGINT, auction_category BIGINT, auction_extra VARCHAR, person_id BIGINT,
  person_name VARCHAR, person_emailAddress VARCHAR, person_creditCard VARCHAR, person_city VARCHAR,
  person_state VARCHAR, person_extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'table' = 'event', 'number-of-events' = '${EVENTS}');

CREATE VIEW auction AS SELECT
  auction_id AS id, auction_itemName AS itemName, auction_description AS description,
  auction_initialBid AS initialBid, auction_reserve AS reserve, dateTime,
  auction_expires AS expires, auction_seller AS seller, auction_category AS category,
  auction_extra AS extra
FROM event WHERE event_type = 1;

CREATE VIEW person AS SELECT
  person_id AS id, person_name AS name, person_emailAddress AS emailAddress,
  person_creditCard AS creditCard, person_city AS city, person_state AS state, dateTime,
  person_extra AS extra
FROM event WHERE event_type = 0;

CREATE TABLE nexmark_q3 (name VARCHAR, city VARCHAR, state VARCHAR, id BIGINT) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q3
SELECT P.name, P.city, P.state, A.id
FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
