// Package nexmark is the 'nexmark' connector: a source of the Nexmark
// benchmark's event stream (an online auction: people, auctions and bids),
// following the rules of the Nexmark generator (Apache Beam's and Flink's).
//
//	CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR,
//	  url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR,
//	  WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
//	) WITH ('connector' = 'nexmark', 'table' = 'bid', 'number-of-events' = '10000000');
//
// # Options
//
//   - 'table' (default 'bid'): what the table holds: 'bid', 'auction',
//     'person', or 'event' (every event, in one table with a type column).
//   - 'events-per-second' (default 10000): the rate of event time (Nexmark's
//     first-event-rate): event n has dateTime 2015-07-15 00:00:00 UTC plus
//     n / events-per-second seconds (truncated to the millisecond).
//   - 'number-of-events' (default 0): the total number of events of all
//     three types; when > 0 the source is bounded and holds the table's
//     events among events 0 .. number-of-events-1 (46 in 50 for bid, 3 in
//     50 for auction, 1 in 50 for person); 0 means unbounded.
//   - 'rows-per-second' (default 0): a wall-clock limit on the table's rows
//     per second for the whole source, shared evenly by its splits; 0 means
//     as fast as possible.
//   - 'splits' (default 8): the number of splits, fixed whatever the
//     parallelism (at most this many source tasks run).
//   - 'hot-auction-ratio' (default 2): a bid is for a hot auction with
//     probability 1 - 1/ratio (1: never).
//   - 'hot-bidder-ratio' (default 4): a bid is by a hot bidder with
//     probability 1 - 1/ratio.
//   - 'hot-seller-ratio' (default 4): an auction is by a hot seller with
//     probability 1 - 1/ratio.
//   - 'seed' (default 0): the seed of the random values.
//
// # Schemas
//
// The table declares any subset of its columns, in any order; names match
// case-insensitively and types by kind (BIGINT columns may be declared as
// any integer type, TIMESTAMP with any precision). A column that is not
// one of the table's is an error naming it and listing the table's
// columns. Columns that are not declared are not generated (and the others
// do not change: every value has its own random stream). Nor are declared
// columns that no query of the job reads (connectors.ColumnSkipper: the
// planner says which are read; the others stay NULL).
//
//	bid:     auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
//	         dateTime TIMESTAMP(3), extra VARCHAR
//	auction: id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,
//	         reserve BIGINT, dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT,
//	         category BIGINT, extra VARCHAR
//	person:  id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR,
//	         city VARCHAR, state VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR
//
// The 'event' table is Flink's single-table form with its nested rows
// flattened: event_type INT (0 person, 1 auction, 2 bid), dateTime
// TIMESTAMP(3) (the event's time, whatever its type: declare the watermark
// on it), then the person columns prefixed 'person_' (person_id,
// person_name, person_emailAddress, ...), the auction columns prefixed
// 'auction_' (auction_id, auction_itemName, ..., auction_extra) and the
// bid columns prefixed 'bid_' (bid_auction, bid_bidder, bid_price,
// bid_channel, bid_url, bid_dateTime, bid_extra). A row sets the columns of
// its type and leaves the others NULL. Views give the three tables back,
// e.g. CREATE VIEW bids AS SELECT bid_auction AS auction, ..., dateTime
// FROM ev WHERE event_type = 2.
//
// # What is generated
//
// Events are numbered from 0. Of every 50 consecutive events (from a
// multiple of 50), the first is a person, the next 3 are auctions and the
// other 46 are bids. Ids follow the event number: the p-th person (from
// 0) has id 1000 + p, the a-th auction id 1000 + a, so ids ascend without
// gaps in event order.
//
//   - person: name is a first and last name from small lists, emailAddress
//     '<letters>@<letters>.com', creditCard four groups of 4 digits, city
//     and state from 10 US cities and 6 states.
//   - auction: seller is, with probability 1 - 1/hot-seller-ratio, the
//     hot seller (the first person id of the block of 100 ids holding the
//     last person), otherwise a random person among the last 1000 people
//     or up to 10 people ahead of the last one; category is 10 .. 14;
//     initialBid is a price and reserve is initialBid plus a price;
//     expires is dateTime plus a random length averaging the event time of
//     the next 100 auctions; itemName and description are random words of
//     up to 19 and 99 characters.
//   - bid: auction is, with probability 1 - 1/hot-auction-ratio, the hot
//     auction (the first auction id of the block of 100 ids holding the
//     last auction), otherwise a random one among the last 100 auctions or
//     up to 10 auctions ahead of the last one; bidder is, with probability
//     1 - 1/hot-bidder-ratio, the hot bidder (the second person id of the
//     block of 100 ids holding the last person), otherwise a random person
//     as for sellers; half the bids come from the channels Google,
//     Facebook, Baidu and Apple, the others from 'channel-0' ..
//     'channel-9999', each channel with a fixed url
//     'https://www.nexmark.com/<w>/<w>/<w>/item.htm?query=1' (most others
//     with '&channel_id=<n>' appended).
//   - Prices are in cents, log-uniform from 100 (1.00) to 100000000.
//   - extra is padding of lower-case letters that brings an event to its
//     average size (person 200, auction 500, bid 100 bytes, counting 8
//     per number and timestamp) within ±20%.
//
// So a bid's auction is an auction generated earlier, or at most 10 ahead
// of the last one, and a seller or bidder a person generated earlier, or
// at most 10 ahead (the generator's "leads": such events look as if the
// person or auction event had been delayed).
//
// Determinism: event n is a pure function of the options and n (its
// random values are seeded by the seed and n). The values follow the
// generator's rules and distributions but are not bit-identical to the
// Java generator's (which draws from java.util.Random, and its channel
// urls from an unseeded one).
//
// # Splits and positions
//
// The table's rows are numbered from 0 in event order (for 'bid' the bids
// only). Splits returns S splits ('splits') whatever the parallelism; split
// k generates rows k, k+S, k+2S, ..., so the union of the splits is the
// whole table, the same rows at every parallelism, and each split's
// dateTime ascends. The split ID is 'nexmark-<k>-of-<S>'. The position of
// a split is the number of rows it has generated, 8 bytes big-endian;
// reopening at a position continues exactly with the next row, and as the
// split set does not depend on the parallelism a checkpoint restores at
// any parallelism (changing 'splits' changes the split IDs).
//
// Rate limiting (rows-per-second) works as datagen's: each split generates
// its share of the rate, sleeping at most 100 ms / S per call when no row
// is due.
//
// Strings built for one call of Next (names, emails, descriptions, extra)
// are substrings of one string allocated for the call; channels, urls,
// cities and states are shared constants. A bid row costs no allocation.
package nexmark
