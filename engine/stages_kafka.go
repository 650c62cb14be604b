package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/connectors/exchange"
	"github.com/streamsql/streamsql/stages"
)

// kafkaExchange is the Kafka exchange of one submission of a staged job:
// one topic per edge, named after the job's storage id, the submission
// (execution.stages.run-id) and the edge, and transactional ids under the
// same names.
type kafkaExchange struct {
	cfg    exchange.Config
	prefix string
	// rescale holds, by edge id, the hand-over of the edges whose
	// producing stage was rescaled (setHandOvers).
	rescale map[string]edgeRescale
}

// edgeRescale is the hand-over of one topic after its producing stage was
// rescaled: how many producers wrote it before, and by partition the
// offset from which the new ones write.
type edgeRescale struct {
	retired  int
	handOver map[int]int64
}

func newKafkaExchange(conf *Config, env *connectors.Env, sid string, run int64) (*kafkaExchange, error) {
	var brokers []string
	for _, b := range strings.Split(conf.Get(StagesBootstrapKey), ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	if len(brokers) == 0 {
		return nil, fmt.Errorf("%s = 'kafka' needs the brokers in %s", StagesExchangeKey, StagesBootstrapKey)
	}
	name := fmt.Sprintf("_streamsql-stages-%s-%d", sid, run)
	return &kafkaExchange{cfg: exchange.Config{Brokers: brokers, TransactionalIDPrefix: name, Env: env}, prefix: name + "-"}, nil
}

func (k *kafkaExchange) topic(e stages.Edge) exchange.Topic {
	t := exchange.Topic{Name: k.prefix + e.ID, Schema: e.Schema, KeyCols: e.KeyCols, Partitions: e.Partitions,
		Producers: e.Producers, Bounded: e.Bounded}
	if r, ok := k.rescale[e.ID]; ok {
		t.Retired, t.HandOver = r.retired, r.handOver
	}
	return t
}

// Source implements stages.Exchange.
func (k *kafkaExchange) Source(e stages.Edge, partitions []int) (connectors.Source, error) {
	return exchange.NewSource(k.cfg, k.topic(e), partitions), nil
}

// Sink implements stages.Exchange.
func (k *kafkaExchange) Sink(e stages.Edge, producer int) (connectors.Sink, error) {
	return exchange.NewSink(k.cfg, k.topic(e), producer), nil
}

// CreateTopics implements topicCreator: it creates the edges' topics that
// do not exist yet.
func (k *kafkaExchange) CreateTopics(edges []stages.Edge) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, e := range edges {
		if err := exchange.CreateTopic(ctx, k.cfg, k.topic(e)); err != nil {
			return err
		}
	}
	return nil
}
