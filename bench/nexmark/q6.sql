-- Nexmark q6 (average selling price by seller): per seller, the average final price of its
-- last closed auctions (the current one and the 10 before it, Flink's ROWS BETWEEN 10
-- PRECEDING AND CURRENT ROW), one row per closed auction that received a bid.
--
-- Flink's q6 text does not run in Flink either: its inner query is a GROUP BY A.id, A.seller
-- without a window (an updating result, every new bid revises an auction's MAX), the OVER
-- aggregate over it needs an append-only input, and it orders by B.dateTime, which is not
-- grouped. This is the append-only query it stands for:
--   - the final price of an auction is the highest of the bids made while it was open (the same
--     join as Flink's text and q9: A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND
--     A.expires), computed once, when the auction closes: the group window
--     TUMBLE(A.expires, INTERVAL '1' MILLISECOND) holds exactly the millisecond A.expires, so
--     it fires when the watermark passes A.expires, and TUMBLE_ROWTIME (= A.expires) is the
--     auction's closing time, a time attribute;
--   - the OVER window orders the sellers' closed auctions by that closing time (Flink's text
--     orders by a bid's dateTime), over the same frame.
-- Auctions without a bid while open have no final price and no row, as in Flink's text.
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

CREATE TABLE nexmark_q6 (seller BIGINT, avgPrice DECIMAL(18, 4)) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q6
SELECT Q.seller,
  AVG(Q.final) OVER (PARTITION BY Q.seller ORDER BY Q.closed ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
FROM (
  SELECT MAX(B.price) AS final, A.seller,
    TUMBLE_ROWTIME(A.expires, INTERVAL '1' MILLISECOND) AS closed
  FROM auction AS A, bid AS B
  WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
  GROUP BY A.id, A.seller, TUMBLE(A.expires, INTERVAL '1' MILLISECOND)
) AS Q;
