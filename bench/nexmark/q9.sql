-- Nexmark q9 (winning bids): the highest bid of each auction among the bids made while it was open (earliest bid on ties).
-- One nexmark source of all events, as in Flink's setup: the tables are views over it, so the
-- joined inputs come from one source and advance together.
CREATE TABLE event (event_type BIGINT, dateTime TIMESTAMP(3), auction_id BIGINT,
  auction_itemName VARCHAR, auction_description VARCHAR, auction_initialBid BIGINT,
  auction_reserve BIGINT, auction_expires TIMESTAMP(3),
  auction_seller BIGINT, auction_category BIGINT, auction_extra VARCHAR, bid_auction BIGINT,
  bid_bidder BIGINT, bid_price BIGINT, bid_channel VARCHAR, bid_url VARCHAR,
  bid_extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'table' = 'event', 'number-of-events' = '${EVENTS}');

CREATE VIEW auction AS SELECT
  auction_id AS id, auction_itemName AS itemName, auction_description AS description,
  auction_initialBid AS initialBid, auction_reserve AS reserve, dateTime,
  auction_expires AS expires, auction_seller AS seller, auction_category AS category,
  auction_extra AS extra
FROM event WHERE event_type = 1;

CREATE VIEW bid AS SELECT
  bid_auction AS auction, bid_bidder AS bidder, bid_price AS price, bid_channel AS channel,
  bid_url AS url, dateTime, bid_extra AS extra
FROM event WHERE event_type = 2;

CREATE TABLE nexmark_q9 (id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT, reserve BIGINT,
  dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra VARCHAR,
  auction BIGINT, bidder BIGINT, price BIGINT, bid_dateTime TIMESTAMP(3), bid_extra VARCHAR)
WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q9
SELECT id, itemName, description, initialBid, reserve, dateTime, expires, seller, category, extra,
  auction, bidder, price, bid_dateTime, bid_extra
FROM (
  SELECT A.*, B.auction, B.bidder, B.price, B.dateTime AS bid_dateTime, B.extra AS bid_extra,
    ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.dateTime ASC) AS rownum
  FROM auction A, bid B
  WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
)
WHERE rownum <= 1;
