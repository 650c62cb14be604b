package kafkatxn

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Retriable reports whether a broker's error code is worth a retry.
func Retriable(code int16) bool {
	var ke *kerr.Error
	return errors.As(kerr.ErrorForCode(code), &ke) && ke.Retriable
}

// Backoff is the pause before retry attempt (from 0): 20 ms doubling, at
// most 500 ms.
func Backoff(attempt int) time.Duration {
	return min(20*time.Millisecond<<min(attempt, 5), 500*time.Millisecond)
}

// Sleep waits d, or returns ctx's error when ctx ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// CommitPrepared commits the transaction left pre-committed on txnID by
// producer id pid at epoch (EndTxn), retrying retriable answers until ctx
// ends. A transaction committed before (the id moved on to a newer epoch
// or producer) is no error. aborted reports a transaction the broker
// aborted before it could be committed (its records are lost: the
// transaction timed out): the caller says so in its own words.
func CommitPrepared(ctx context.Context, admin *kgo.Client, txnID string, pid int64, epoch int16) (aborted bool, err error) {
	for attempt := 0; ; attempt++ {
		req := kmsg.NewPtrEndTxnRequest()
		req.TransactionalID = txnID
		req.ProducerID = pid
		req.ProducerEpoch = epoch
		req.Commit = true
		resp, err := req.RequestWith(ctx, admin)
		if err != nil {
			return false, fmt.Errorf("committing the transaction of transactional id %s (producer %d, epoch %d): %w", txnID, pid, epoch, err)
		}
		switch code := resp.ErrorCode; {
		case code == 0:
			return false, nil
		case code == kerr.ProducerFenced.Code, code == kerr.InvalidProducerEpoch.Code,
			code == kerr.InvalidProducerIDMapping.Code, code == kerr.TransactionalIDNotFound.Code:
			return false, nil // committed before, and the id moved on
		case code == kerr.InvalidTxnState.Code:
			return true, nil
		case code == kerr.ConcurrentTransactions.Code || Retriable(code):
			if Sleep(ctx, Backoff(attempt)) != nil {
				return false, fmt.Errorf("committing the transaction of transactional id %s: %w", txnID, kerr.ErrorForCode(code))
			}
		default:
			return false, fmt.Errorf("committing the transaction of transactional id %s (producer %d, epoch %d): %w", txnID, pid, epoch, kerr.ErrorForCode(code))
		}
	}
}

// Fence initialises a producer id for txnID (InitProducerID), which
// aborts the transaction an earlier instance left open on it and fences
// that instance's producer, retrying retriable answers until ctx ends.
// timeout is the transaction timeout the id is initialised with.
func Fence(ctx context.Context, admin *kgo.Client, txnID string, timeout time.Duration) error {
	for attempt := 0; ; attempt++ {
		req := kmsg.NewPtrInitProducerIDRequest()
		req.TransactionalID = kmsg.StringPtr(txnID)
		req.TransactionTimeoutMillis = int32(timeout / time.Millisecond)
		req.ProducerID, req.ProducerEpoch = -1, -1
		resp, err := req.RequestWith(ctx, admin)
		if err != nil {
			return fmt.Errorf("fencing transactional id %s (aborting what it left open): %w", txnID, err)
		}
		switch code := resp.ErrorCode; {
		case code == 0:
			return nil
		case code == kerr.ConcurrentTransactions.Code || Retriable(code):
			if Sleep(ctx, Backoff(attempt)) != nil {
				return fmt.Errorf("fencing transactional id %s (aborting what it left open): %w", txnID, kerr.ErrorForCode(code))
			}
		default:
			return fmt.Errorf("fencing transactional id %s (aborting what it left open): %w", txnID, kerr.ErrorForCode(code))
		}
	}
}
