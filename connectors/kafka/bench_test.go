package kafka

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/types"
)

// BenchmarkSourceJSON reads b.N json records of one partition.
func BenchmarkSourceJSON(b *testing.B) {
	_, servers := cluster(b, 1, 1, "t")
	p := newProducer(b, servers, kgo.ProducerLinger(0))
	recs := make([]*kgo.Record, 0, b.N)
	for i, v := range jsonRows(0, b.N-1) {
		recs = append(recs, &kgo.Record{Topic: "t", Value: []byte(v)})
		if len(recs) == 10000 || i == b.N-1 {
			if err := p.cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	s := newSrc(b, srcTable(servers, "t", "scan.bounded.mode", "latest-offset"), nil)
	b.ResetTimer()
	r, err := s.OpenSplit(context.Background(), &split{topic: "t"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	batch := types.NewBatch(3, 1024)
	n := 0
	for {
		batch.Reset()
		err := r.Next(context.Background(), batch)
		n += batch.Len()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if n != b.N {
		b.Fatalf("read %d rows of %d", n, b.N)
	}
}

// BenchmarkSinkExactlyOnce writes b.N rows in transactions of 10000 rows.
func BenchmarkSinkExactlyOnce(b *testing.B) {
	_, servers := cluster(b, 1, 1, "t")
	sk, err := factory.NewSink(exactlyOnce(servers, "t"), nil)
	if err != nil {
		b.Fatal(err)
	}
	w, _ := sk.Open(context.Background(), 0, 1)
	tw := w.(*txnWriter)
	defer tw.Close()
	tw.Recover(nil)
	b.ResetTimer()
	for i, chk := 0, int64(1); i < b.N; chk++ {
		n := min(10000, b.N-i)
		for j := 0; j < n; j += 1000 {
			if err := tw.Write(batch(i+j, i+min(j+1000, n)-1)); err != nil {
				b.Fatal(err)
			}
		}
		i += n
		cs, err := tw.PreCommit(chk)
		if err != nil {
			b.Fatal(err)
		}
		if err := tw.Commit(cs); err != nil {
			b.Fatal(err)
		}
	}
}
