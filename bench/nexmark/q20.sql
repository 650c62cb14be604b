-- Nexmark q20 (expand bid with auction): bids joined with their auction, for auctions in category 10.
-- One nexmark source of all events, as in Flink's setup: the tables are views over it, so the
-- joined inputs come from one source and advance together.
CREATE TABLE event (event_type BIGINT, dateTime TIMESTAMP(3), bid_auction BIGINT,
  bid_bidder BIGINT, bid_price BIGINT, bid_channel VARCHAR, bid_url VARCHAR,
  bid_extra VARCHAR, auction_id BIGINT, auction_itemName VARCHAR,
  auction_description VARCHAR, auction_initialBid BIGINT, auction_reserve BIGINT,
  auction_expires TIMESTAMP(3), auction_seller BIGINT,
  auction_category BIGINT, auction_extra VARCHAR,
  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'table' = 'event', 'number-of-events' = '${EVENTS}');

CREATE VIEW bid AS SELECT
  bid_auction AS auction, bid_bidder AS bidder, bid_price AS price, bid_channel AS channel,
  bid_url AS url, dateTime, bid_extra AS extra
FROM event WHERE event_type = 2;

CREATE VIEW auction AS SELECT
  auction_id AS id, auction_itemName AS itemName, auction_description AS description,
  auction_initialBid AS initialBid, auction_reserve AS reserve, dateTime,
  auction_expires AS expires, auction_seller AS seller, auction_category AS category,
  auction_extra AS extra
FROM event WHERE event_type = 1;

CREATE TABLE nexmark_q20 (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  bid_dateTime TIMESTAMP(3), bid_extra VARCHAR, itemName VARCHAR, description VARCHAR, initialBid BIGINT,
  reserve BIGINT, auction_dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT,
  auction_extra VARCHAR)
WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q20
SELECT B.auction, B.bidder, B.price, B.channel, B.url, B.dateTime, B.extra,
  A.itemName, A.description, A.initialBid, A.reserve, A.dateTime, A.expires, A.seller, A.category, A.extra
FROM bid AS B INNER JOIN auction AS A ON B.auction = A.id
WHERE A.category = 10;
