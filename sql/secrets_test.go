package sql

import (
	"slices"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/catalog"
)

// secretStatements are statements carrying secrets in every form an
// option can hold one; each secret contains "S3CR" so that one search
// finds any that survives.
var secretStatements = []string{
	`CREATE TABLE a (x INT) WITH ('connector' = 'jdbc', 'url' = 'mysql://app:S3CR-1@db:3306/shop', 'table-name' = 't')`,
	`CREATE TABLE b (x INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:mysql://db:3306/shop?user=app&password=S3CR-2&useSSL=false')`,
	`CREATE TABLE c (x INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:mysql://db/shop?user=app;password=S3CR-3', 'username' = 'app', 'password' = 'S3CR''4')`,
	`CREATE TABLE d (x INT) ENGINE=mysql CONNECTION='mysql://app:S3CR-5@db:3306/shop/d'`,
	`CREATE TABLE e (x INT) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'json', 'properties.bootstrap.servers' = '127.0.0.1:9092', 'properties.sasl.jaas.config' = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="app" password="S3CR-6";')`,
	`CREATE TABLE f (x INT) WITH ('connector' = 'jdbc', 'url' = 'mysql://app:S3CR%2F7%40x@db/shop', password = S3CR8)`,
	`CREATE TABLE g (x INT) WITH ('connector' = 'jdbc', 'url' = 'mysql:/app:S3CR-9@db/shop')`,
	`CREATE TABLE h (x INT) WITH ('connector' = 'x', 'secret-key' = 'S3CR-10', 'access.token' = 'S3CR-11', 'credentials' = 'S3CR-12', 'properties.ssl.key.password' = 'S3CR-13')`,
	`SET 'properties.sasl.jaas.config' = 'x password="S3CR-14";'`,
	`set s3.secret-key = S3CR-15`,
	"CREATE TABLE i (x INT) WITH (\n  'connector' = 'jdbc', -- production\n  'url' = 'mysql://app:S3CR\\'16@db/shop'\n)",
}

// malformedSecretStatements do not parse (a missing '=' or ',', a
// statement the grammar lacks) but still reach the history file.
var malformedSecretStatements = []string{
	`CREATE TABLE j (x INT) WITH ('connector' = 'jdbc', 'password' 'S3CR-17', 'url' 'mysql://app:S3CR-18@db/shop')`,
	`ALTER TABLE k SET ('password' = 'S3CR-19')`,
	`CREATE TABLE l (x INT) WITH ('connector' = 'jdbc' 'url' = 'mysql://app:S3CR-20@db/shop')`,
	`create table m (x int) with 'password' = 'S3CR-21'`,
}

func TestMaskSecretsHidesEverySecret(t *testing.T) {
	for _, stmt := range slices.Concat(secretStatements, malformedSecretStatements) {
		got := MaskSecrets(stmt)
		if strings.Contains(got, "S3CR") {
			t.Errorf("a secret survives:\n in: %s\nout: %s", stmt, got)
		}
		if !strings.Contains(got, catalog.Mask) {
			t.Errorf("nothing masked in %s", got)
		}
		if again := MaskSecrets(got); again != got {
			t.Errorf("masking is not stable:\n%s\n%s", got, again)
		}
	}
}

// TestMaskSecretsAsShowCreateTable: the masked statement defines the same
// table whose options are exactly what SHOW CREATE TABLE shows (both use
// catalog.MaskOption), and everything but the secret values is kept.
func TestMaskSecretsAsShowCreateTable(t *testing.T) {
	for _, stmt := range secretStatements {
		if !strings.HasPrefix(stmt, "CREATE") {
			continue
		}
		orig := compileCreate(t, stmt)
		masked := compileCreate(t, MaskSecrets(stmt))
		if len(orig.Options) != len(masked.Options) {
			t.Fatalf("%s: %d options, masked %d", stmt, len(orig.Options), len(masked.Options))
		}
		for i, o := range orig.Options {
			want := catalog.MaskOption(o.Key, o.Value)
			if masked.Options[i].Key != o.Key || masked.Options[i].Value != want {
				t.Errorf("%s: option %d is %q = %q after masking, want %q = %q", stmt, i, masked.Options[i].Key, masked.Options[i].Value, o.Key, want)
			}
		}
	}
}

func TestMaskSecretsKeepsOtherText(t *testing.T) {
	for _, stmt := range []string{
		`SELECT 'password' = 'x', 'mysql://u:p@h/d' FROM t`,
		`WITH w AS (SELECT 1) SELECT * FROM w`,
		`CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '/data/', 'format' = 'csv')`,
		`INSERT INTO t VALUES ('password=abc')`,
		`SET 'parallelism.default' = '4'`,
		`CREATE TABLE t (a INT) WITH ('password`, // unfinished
		``,
	} {
		if got := MaskSecrets(stmt); got != stmt {
			t.Errorf("changed:\n in: %s\nout: %s", stmt, got)
		}
	}
	in := "CREATE TABLE t (a INT) WITH ('url' = 'mysql://u:p@h/d'); SET 'password' = 'x'; SELECT 1"
	want := "CREATE TABLE t (a INT) WITH ('url' = 'mysql://u:****@h/d'); SET 'password' = '****'; SELECT 1"
	if got := MaskSecrets(in); got != want {
		t.Errorf("several statements:\n got %s\nwant %s", got, want)
	}
}

func compileCreate(t *testing.T, stmt string) *catalog.Table {
	t.Helper()
	ps := Split(stmt)
	if len(ps) != 1 {
		t.Fatalf("%d statements in %s", len(ps), stmt)
	}
	st, err := Compile(ps[0], catalog.New())
	if err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	ct, ok := st.(*CreateTable)
	if !ok {
		t.Fatalf("%s: compiled to %T", stmt, st)
	}
	return ct.Table
}
