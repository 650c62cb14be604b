// Package kafkatxn holds the Kafka transaction steps that the
// exactly-once writers (the kafka sink and the exchange between stages)
// share: committing a transaction another producer instance pre-committed
// (EndTxn under its producer id and epoch, as a restored checkpoint's
// committable names it), fencing a transactional id (InitProducerID,
// which aborts what an earlier instance left open), the retry of the
// brokers' retriable answers, and the Pool of transactional ids a writer
// writes its checkpoint periods on (begin, pre-commit, commit, resume,
// fence, with a bounded set of the transactions it committed).
//
// Callers own their clients: every function takes the admin client to
// send the request with and the context that bounds the retries.
package kafkatxn
