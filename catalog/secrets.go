package catalog

import "strings"

// Mask is what a hidden secret is shown as.
const Mask = "****"

// secretKeyWords are the parts of an option (or url parameter) name that
// make its whole value a secret: 'password', 'properties.ssl.key.password',
// 'properties.sasl.jaas.config', 'secret-key', 'access_token', ...
var secretKeyWords = []string{"password", "passwd", "pwd", "secret", "token", "credential", "jaas", "auth.user.info"}

// IsSecretKey reports whether the value of an option (or of a key=value
// parameter) with this name is a secret as a whole (compared
// case-insensitively).
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	for _, w := range secretKeyWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// MaskOption returns an option's value as it may be shown or stored: the
// value of a secret key (IsSecretKey) becomes Mask; in any other value
// the password of a url (scheme://user:password@host, also malformed
// forms such as scheme:/user:password@host or user:password@host) and
// every secret key=value parameter (?user=u&password=p, password="p" of a
// JAAS line) are replaced by Mask.
//
// It is the one masking of option values: SHOW CREATE TABLE, the shell's
// history file (through sql.MaskSecrets) and connector errors all use it,
// so that a secret is hidden the same way wherever it would appear. The
// whole value is taken as one url (a password may hold spaces).
func MaskOption(key, value string) string {
	if IsSecretKey(key) {
		return Mask
	}
	return maskUserinfo(maskSecretParams(value))
}

// MaskCredentials hides credentials inside a free text (an error message
// that may quote a url or a DSN): each run of characters between spaces
// and quotes is masked as MaskOption masks a value (a quoted
// password="..." is masked whole). Callers that know the
// secrets (a connector holding its password) replace those first: a
// password with a space in it is not found here.
func MaskCredentials(text string) string {
	text = maskSecretParams(text)
	var b strings.Builder
	start := 0
	flush := func(end int) {
		if end > start {
			b.WriteString(maskUserinfo(text[start:end]))
		}
	}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case ' ', '\t', '\n', '\r', '\'', '`':
			flush(i)
			b.WriteByte(text[i])
			start = i + 1
		}
	}
	flush(len(text))
	return b.String()
}

// maskSecretParams replaces the value of every name=value whose name is a
// secret key. A value in double or single quotes runs to the closing
// quote (password="p w" in a JAAS line); otherwise to the next '&', ';',
// ',' or space.
func maskSecretParams(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			continue
		}
		n := i
		for n > 0 && isParamNameByte(s[n-1]) {
			n--
		}
		if n == i || !IsSecretKey(s[n:i]) {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] == ' ' {
			j++
		}
		end := j
		if j < len(s) && (s[j] == '"' || s[j] == '\'') {
			q := s[j]
			end = j + 1
			for end < len(s) && s[end] != q {
				end++
			}
			if end < len(s) {
				end++ // the closing quote
			}
		} else {
			for end < len(s) && !strings.ContainsRune("&;, \t\n", rune(s[end])) {
				end++
			}
		}
		if end == j {
			continue // an empty value hides nothing
		}
		b.WriteString(s[last:j])
		if s[j] == '"' || s[j] == '\'' {
			b.WriteByte(s[j])
			b.WriteString(Mask)
			b.WriteByte(s[j])
		} else {
			b.WriteString(Mask)
		}
		last = end
		i = end - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isParamNameByte(c byte) bool {
	return c == '_' || c == '.' || c == '-' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

// maskUserinfo hides the password of the user info that ends at an '@'.
//
// With "://": the user info runs from there to the last '@' that is not
// inside a query parameter's value (a password may hold '/', '@', '?' or
// '#' unescaped); what follows the first ':' in it is the password.
// Without "://" (a malformed url such as mysql:/u:pw@host, or u:pw@host):
// what follows the first ':' before the '@' is hidden, since it cannot be
// told which part is the scheme and which the user.
func maskUserinfo(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	at := -1
	for k := len(s) - 1; k >= start; k-- {
		if s[k] != '@' {
			continue
		}
		if q := strings.IndexByte(s[start:k], '?'); q >= 0 && strings.Contains(s[start+q:k], "=") {
			continue // an '@' in a parameter value (user=a@b)
		}
		at = k
		break
	}
	if at < 0 {
		return s
	}
	c := strings.IndexByte(s[start:at], ':')
	if c < 0 {
		return s // a user without a password
	}
	c += start
	return s[:c+1] + Mask + s[at:]
}
