package jdbc

import (
	"strings"
	"testing"

	"github.com/streamsql/streamsql/connectors"
)

// TestURLErrorsHideSecrets: every form a url can carry a password in
// (user info, plain or percent-encoded; ?password= and ;password=; a
// separate 'password' option), well-formed or malformed, gives an error
// that names the option and what is wrong and never shows the password.
// Each password contains "S3CR".
func TestURLErrorsHideSecrets(t *testing.T) {
	for _, tc := range []struct{ opts, want string }{
		// malformed: not a url at all, so nothing can be parsed
		{`'url' = 'mysql:/app:S3CR-1@h/d'`, "'url' 'mysql:****@h/d' is not a URL"},
		{`'url' = 'mysql:app:S3CR-2@h/d'`, "'url' 'mysql:****@h/d' is not a URL"},
		{`'url' = 'app:S3CR-3@h/d'`, "'url' 'app:****@h/d' is not a URL"},
		{`'url' = 'jdbc:mysql:/app:S3CR-4@h/d'`, "'url' 'jdbc:****@h/d' is not a URL"},
		{`'url' = 'mysql//app:S3CR-5@h/d'`, "is not a URL"},
		{`'url' = 'jdbc:mysql:/h/d?user=app&password=S3CR-6'`, "'url' 'jdbc:mysql:/h/d?user=app&password=****' is not a URL"},
		// well-formed urls with one mistake
		{`'url' = 'postgres://app:S3CR-7@h/d'`, "only MySQL and MariaDB"},
		{`'url' = 'mysql://app:S3CR%2F8%40x@h:99999/d'`, "'url' 'mysql://app:****@h:99999/d' has an invalid port"},
		{`'url' = 'mysql://app:S3CR%zz9@h/d'`, "badly escaped password"},
		{`'url' = 'mysql://app:S3CR/10@h1,h2/d'`, "several hosts"},
		{`'url' = 'mysql://app:S3CR?11@h/d'`, "'url' 'mysql://app:****@h/d' has an invalid port"},
		{`'url' = 'mysql://app:S3CR 12@h/d/t/x'`, "more than a database and a table"},
		{`'url' = 'jdbc:mysql://h:3306/d?user=app&password=S3CR-13&interpolateParams=true'`, "bound parameters"},
		{`'url' = 'jdbc:mysql://h/d?user=app;password=S3CR-14;useSSL=maybe'`, "'useSSL' = 'maybe'"},
		{`'url' = 'jdbc:mysql://h/d?password=S3CR-15'`, "no user"},
		{`'url' = 'mysql://h/d', 'username' = 'app', 'password' = 'S3CR-16', 'sink.max-retries' = 'x'`, "'sink.max-retries'"},
		{`'url' = 'mysql://app:S3CR-17@h'`, "no database"},
	} {
		tbl := compileTable(t, `CREATE TABLE t (a BIGINT) WITH ('connector' = 'jdbc', `+tc.opts+`)`)
		err := connectors.ValidateOptions(tbl, connectors.Lookup("jdbc"))
		if err == nil {
			t.Errorf("%s: accepted", tc.opts)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "S3CR") {
			t.Errorf("%s: the error shows the password: %s", tc.opts, msg)
		}
		if !strings.Contains(msg, tc.want) || !strings.Contains(msg, "table t") {
			t.Errorf("%s: error %q does not name the table and say %q", tc.opts, msg, tc.want)
		}
	}
}
