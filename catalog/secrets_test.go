package catalog

import (
	"strings"
	"testing"
)

func TestIsSecretKey(t *testing.T) {
	for key, want := range map[string]bool{
		"password": true, "PASSWORD": true, "properties.ssl.key.password": true,
		"properties.sasl.jaas.config": true, "s3.secret-key": true, "access_token": true,
		"aws.credentials.provider": true, "properties.basic.auth.user.info": true,
		"url": false, "username": false, "topic": false, "properties.bootstrap.servers": false,
	} {
		if got := IsSecretKey(key); got != want {
			t.Errorf("IsSecretKey(%q) = %v, want %v", key, got, want)
		}
	}
}

// TestMaskOption covers every form in which a value can carry a secret;
// the secret of each case is "pw" followed by anything, and must not
// survive while the rest of the value stays readable.
func TestMaskOption(t *testing.T) {
	for _, tc := range []struct{ key, in, want string }{
		{"password", "pw-hunter2", Mask},
		{"properties.sasl.jaas.config", `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="pwX";`, Mask},
		{"url", "mysql://u:pw1@h:1/d", "mysql://u:****@h:1/d"},
		{"url", "mysql://u:pw/x@y@h/d/t", "mysql://u:****@h/d/t"},
		{"url", "mysql://u:pw x?y#z@h/d", "mysql://u:****@h/d"},
		{"url", "mysql://u:pw%40%3A@h/d", "mysql://u:****@h/d"},
		{"url", "mysql://u@h/d", "mysql://u@h/d"},
		{"url", "mysql://h:3306/d?user=a@b", "mysql://h:3306/d?user=a@b"},
		{"url", "jdbc:mysql://h/d?user=u&password=pw2&x=1", "jdbc:mysql://h/d?user=u&password=****&x=1"},
		{"url", "jdbc:mysql://h/d?password=pw3", "jdbc:mysql://h/d?password=****"},
		{"url", "jdbc:mysql://h/d?user=u;password=pw4;x=1", "jdbc:mysql://h/d?user=u;password=****;x=1"},
		{"url", "jdbc:mysql://u:pw5@h/d", "jdbc:mysql://u:****@h/d"},
		{"url", "mysql:/u:pw6@host/db", "mysql:****@host/db"},
		{"url", "mysql:u:pw7@host/db", "mysql:****@host/db"},
		{"url", "u:pw8@host/db", "u:****@host/db"},
		{"url", "jdbc:mysql:/u:pw9@h/d", "jdbc:****@h/d"},
		{"connection", "mysql://u:pwA@h/d/t", "mysql://u:****@h/d/t"},
		{"properties.bootstrap.servers", "u:pwB@k:9092", "u:****@k:9092"},
		{"path", "/data/in/", "/data/in/"},
		{"topic", "orders", "orders"},
	} {
		got := MaskOption(tc.key, tc.in)
		if got != tc.want {
			t.Errorf("MaskOption(%q, %q) = %q, want %q", tc.key, tc.in, got, tc.want)
		}
	}
}

func TestMaskCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"mysql://u:pw@h:1/d":                             "mysql://u:****@h:1/d",
		"dial mysql://u:p/w@x@h/d failed":                "dial mysql://u:****@h/d failed",
		"jdbc:mysql://h/d?user=u&password=pw&x=1":        "jdbc:mysql://h/d?user=u&password=****&x=1",
		"'url' 'mysql:/u:pw@h/d' is not a URL":           "'url' 'mysql:****@h/d' is not a URL",
		`required username="u" password="p w";`:          `required username="u" password="****";`,
		"invalid DSN: app:pw@tcp(h:3306)/d?timeout=1s":   "invalid DSN: app:****@tcp(h:3306)/d?timeout=1s",
		"mysql://u@h/d":                                  "mysql://u@h/d",
		"no credentials here: Access denied for 'u'@'h'": "no credentials here: Access denied for 'u'@'h'",
		"dial tcp 127.0.0.1:3306: connection refused":    "dial tcp 127.0.0.1:3306: connection refused",
	} {
		if got := MaskCredentials(in); got != want {
			t.Errorf("MaskCredentials(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(want, Mask) && MaskCredentials(want) != want {
			t.Errorf("MaskCredentials is not idempotent on %q", want)
		}
	}
}
