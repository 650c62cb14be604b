package kafka

import (
	"strings"
	"testing"
)

// TestOptionErrorsHideSecrets: a table whose options carry secrets (a
// JAAS config, a key store password, user info in the bootstrap servers)
// and one mistake gets an error naming the option and what is wrong, and
// never the secret.
func TestOptionErrorsHideSecrets(t *testing.T) {
	const jaas = `org.apache.kafka.common.security.plain.PlainLoginModule required username="app" password="S3CR-jaas";`
	for _, tc := range []struct {
		opts []string
		want []string // parts of the error
	}{
		{[]string{"properties.bootstrap.servers", "app:S3CR-1@127.0.0.1:9092"},
			[]string{"'properties.bootstrap.servers'", "host:port", "app:****@127.0.0.1:9092"}},
		{[]string{"properties.bootstrap.servers", "k1:9092,app:S3CR-2@k2:9092"},
			[]string{"'properties.bootstrap.servers'", "host:port"}},
		{[]string{"properties.sasl.jaas.config", jaas, "properties.security.protocol", "SASL_PLAINTEXT"},
			[]string{"'properties.security.protocol'", "only PLAINTEXT"}},
		{[]string{"properties.sasl.jaas.config", jaas, "properties.auto.offset.reset", "earliset"},
			[]string{"'properties.auto.offset.reset'", "earliest, latest or none", "'earliset'"}},
		{[]string{"properties.ssl.keystore.password", "S3CR-3", "properties.security.protocol", "SSL"},
			[]string{"'properties.security.protocol'", "only PLAINTEXT"}},
		{[]string{"properties.sasl.jaas.config", jaas, "properties.fetch.max.bytes", "password=S3CR-4"},
			[]string{"'properties.fetch.max.bytes'", "positive integer", "'password=****'"}},
	} {
		_, err := parseConfig(srcTable("127.0.0.1:9092", "t", tc.opts...))
		if err == nil {
			t.Errorf("%q: accepted", tc.opts)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "S3CR") {
			t.Errorf("%q: the error shows a secret: %s", tc.opts, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q: error %q does not contain %q", tc.opts, msg, w)
			}
		}
	}
}
