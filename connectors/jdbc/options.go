package jdbc

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/streamsql/streamsql/catalog"
	"github.com/streamsql/streamsql/connectors"
	"github.com/streamsql/streamsql/types"
)

// Option keys (Flink's JDBC connector names).
const (
	optURL              = "url"
	optTableName        = "table-name"
	optUsername         = "username"
	optPassword         = "password"
	optDriver           = "driver"
	optFlushMaxRows     = "sink.buffer-flush.max-rows"
	optFlushInterval    = "sink.buffer-flush.interval"
	optMaxRetries       = "sink.max-retries"
	optDeliveryGuaranty = "sink.delivery-guarantee"
	optCreateTable      = "sink.create-table"
	optProgressTable    = "sink.progress-table"
	optFlushMaxBytes    = "sink.buffer-flush.max-bytes"
	optMaxRetryTimeout  = "connection.max-retry-timeout"
	optWaitWarning      = "sink.write-wait-warning"
)

const (
	defaultFlushMaxRows  = 100
	defaultFlushInterval = time.Second
	defaultMaxRetries    = 3
	defaultProgressTable = "streamsql_sink_progress"
	defaultPort          = "3306"
	defaultDialTimeout   = 10 * time.Second
	defaultIOTimeout     = time.Minute
	// Exactly-once writes: rows held in memory before they are spilled
	// to the checkpoint's spill file (see spill.go).
	defaultSpillMaxRows  = 100000
	defaultSpillMaxBytes = 64 << 20
	// defaultRetryTimeout bounds the time spent retrying one operation.
	defaultRetryTimeout = time.Minute
	// defaultWaitWarning is how long a database operation may wait for an
	// answer before a warning names the table.
	defaultWaitWarning = 5 * time.Second
)

func options() []connectors.OptionSpec {
	return []connectors.OptionSpec{
		{Key: optURL, Required: true, Help: "the database: mysql://user:password@host:port/db or jdbc:mysql://host:port/db?user=..&password=.."},
		{Key: optTableName, Help: "the database table (db.table or table); default: the table named in the url (mysql://host/db/table), else the SQL table's name"},
		{Key: optUsername, Help: "the user (overrides the url's)"},
		{Key: optPassword, Help: "the password (overrides the url's; never shown)"},
		{Key: optDriver, Help: "accepted for compatibility (a MySQL or MariaDB driver class name); ignored"},
		{Key: optFlushMaxRows, Default: strconv.Itoa(defaultFlushMaxRows), Help: "write (at-least-once) or spill to the checkpoint's spill file (exactly-once, default there 100000) once this many rows (keys, with a primary key) are buffered; 0 disables"},
		{Key: optFlushInterval, Default: "1s", Help: "at-least-once: write buffered rows at this interval; 0 disables"},
		{Key: optMaxRetries, Default: strconv.Itoa(defaultMaxRetries), Help: "retries (exponential backoff) of a failed database operation before the task fails"},
		{Key: optDeliveryGuaranty, Default: "exactly-once", Help: "exactly-once (when the job checkpoints) or at-least-once"},
		{Key: optCreateTable, Default: "false", Help: "'true' creates the database table from the declared columns and primary key when it is missing"},
		{Key: optProgressTable, Default: defaultProgressTable, Help: "exactly-once: the table of committed checkpoints (job, sink, checkpoint id)"},
		{Key: optFlushMaxBytes, Default: "64mb", Help: "memory of buffered rows (about) before they are written (at-least-once) or spilled to the checkpoint's spill file (exactly-once): '64mb', '512kb', or bytes"},
		{Key: optMaxRetryTimeout, Default: "60s", Help: "retries of a failed database operation stop once this long has passed since its first failure"},
		{Key: optWaitWarning, Default: "5s", Help: "warn (naming the table) when a database operation has waited this long for an answer; 0 disables"},
	}
}

// config is a table's parsed options.
type config struct {
	driver      *mysql.Config // connection settings, credentials included
	addr        string        // host:port, for messages
	db, table   string        // target table
	progressDB  string
	progress    string // progress table
	maxRows     int
	interval    time.Duration
	maxRetries  int
	exactlyOnce bool
	createTable bool
	// secrets are the texts that must never appear in a message: the
	// password in its plain and escaped forms, and the url as written.
	secrets []string
	// masked replaces each secret.
	masked []string
	// spillRows and spillBytes bound the rows an exactly-once writer holds
	// in memory ('sink.buffer-flush.max-rows', default 100000 in that
	// mode, and 'sink.buffer-flush.max-bytes'); 0 rows: no row bound.
	spillRows    int
	spillBytes   int64
	retryTimeout time.Duration // 'connection.max-retry-timeout'
	waitWarning  time.Duration // 'sink.write-wait-warning'; 0: never
}

// parseConfig reads t's options; it touches nothing outside the process.
// Its errors do not name the table (callers add it) and never contain
// credentials.
func parseConfig(t *catalog.Table) (*config, error) {
	c := &config{maxRows: defaultFlushMaxRows, interval: defaultFlushInterval, maxRetries: defaultMaxRetries,
		exactlyOnce: true, progress: defaultProgressTable,
		spillRows: defaultSpillMaxRows, spillBytes: defaultSpillMaxBytes,
		retryTimeout: defaultRetryTimeout, waitWarning: defaultWaitWarning}
	raw := t.Option(optURL)
	c.addSecret(raw, catalog.MaskOption(optURL, raw))
	u, err := parseURL(raw)
	if err != nil {
		return nil, err
	}
	user, password := u.user, u.password
	if t.HasOption(optUsername) {
		user = t.Option(optUsername)
	}
	if t.HasOption(optPassword) {
		password = t.Option(optPassword)
	}
	if u.password != "" {
		c.addPasswordSecret(u.password)
	}
	c.addPasswordSecret(password)
	if user == "" {
		return nil, fmt.Errorf("no user: put it in the 'url' (mysql://user:password@host:port/db) or set 'username'")
	}
	cfg, err := driverConfig(u.params)
	if err != nil {
		return nil, err
	}
	cfg.User, cfg.Passwd = user, password
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", u.addr, u.db
	c.driver, c.addr = cfg, u.addr

	c.db, c.table = u.db, u.table
	if name := strings.TrimSpace(t.Option(optTableName)); name != "" {
		db, tbl := splitQualified(name)
		c.table = tbl
		if db != "" {
			c.db = db
		}
	}
	if c.table == "" {
		c.table = t.Name
	}
	if c.db == "" {
		return nil, fmt.Errorf("no database: name it in the 'url' (mysql://host:port/db) or qualify 'table-name' (db.table)")
	}
	if cfg.DBName == "" {
		cfg.DBName = c.db
	}
	c.progressDB = c.db
	if t.HasOption(optProgressTable) {
		p := strings.TrimSpace(t.Option(optProgressTable))
		if p == "" {
			return nil, fmt.Errorf("'%s' is empty", optProgressTable)
		}
		db, tbl := splitQualified(p)
		c.progress = tbl
		if db != "" {
			c.progressDB = db
		}
	}

	if d := strings.ToLower(strings.TrimSpace(t.Option(optDriver))); d != "" && !strings.Contains(d, "mysql") && !strings.Contains(d, "mariadb") {
		return nil, fmt.Errorf("'%s' = '%s': only MySQL and MariaDB databases are supported", optDriver, t.Option(optDriver))
	}
	if t.HasOption(optFlushMaxRows) {
		n, err := strconv.Atoi(strings.TrimSpace(t.Option(optFlushMaxRows)))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("'%s' = '%s' is not a number of rows (>= 0)", optFlushMaxRows, t.Option(optFlushMaxRows))
		}
		c.maxRows = n
		c.spillRows = n
	}
	if t.HasOption(optFlushMaxBytes) {
		n, err := parseSize(t.Option(optFlushMaxBytes))
		if err != nil || n < 1024 {
			return nil, fmt.Errorf("'%s' = '%s' is not a size of at least 1kb (e.g. '64mb', '512kb', or a number of bytes)", optFlushMaxBytes, t.Option(optFlushMaxBytes))
		}
		c.spillBytes = n
	}
	if t.HasOption(optMaxRetryTimeout) {
		d, err := parseDuration(t.Option(optMaxRetryTimeout))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("'%s' = '%s' is not a positive duration (e.g. '60s', '2 min')", optMaxRetryTimeout, t.Option(optMaxRetryTimeout))
		}
		c.retryTimeout = d
	}
	if t.HasOption(optWaitWarning) {
		d, err := parseDuration(t.Option(optWaitWarning))
		if err != nil {
			return nil, fmt.Errorf("'%s' = '%s' is not a duration (e.g. '5s', '0' to disable)", optWaitWarning, t.Option(optWaitWarning))
		}
		c.waitWarning = d
	}
	if t.HasOption(optFlushInterval) {
		d, err := parseDuration(t.Option(optFlushInterval))
		if err != nil {
			return nil, fmt.Errorf("'%s' = '%s' is not a duration (e.g. '1s', '500ms', '0' to disable)", optFlushInterval, t.Option(optFlushInterval))
		}
		c.interval = d
	}
	if t.HasOption(optMaxRetries) {
		n, err := strconv.Atoi(strings.TrimSpace(t.Option(optMaxRetries)))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("'%s' = '%s' is not a number (>= 0)", optMaxRetries, t.Option(optMaxRetries))
		}
		c.maxRetries = n
	}
	if t.HasOption(optDeliveryGuaranty) {
		switch strings.ToLower(strings.TrimSpace(t.Option(optDeliveryGuaranty))) {
		case "exactly-once", "exactly_once":
			c.exactlyOnce = true
		case "at-least-once", "at_least_once", "none":
			c.exactlyOnce = false
		default:
			return nil, fmt.Errorf("'%s' = '%s': use 'exactly-once' or 'at-least-once'", optDeliveryGuaranty, t.Option(optDeliveryGuaranty))
		}
	}
	if t.HasOption(optCreateTable) {
		b, err := strconv.ParseBool(strings.TrimSpace(t.Option(optCreateTable)))
		if err != nil {
			return nil, fmt.Errorf("'%s' = '%s': use 'true' or 'false'", optCreateTable, t.Option(optCreateTable))
		}
		c.createTable = b
	}
	for _, col := range t.PhysicalColumns() {
		if _, err := columnType(col.Type, false); err != nil {
			return nil, fmt.Errorf("column %s: %v", col.Name, err)
		}
	}
	return c, nil
}

func (c *config) addSecret(secret, mask string) {
	if secret == "" || secret == mask {
		return
	}
	c.secrets = append(c.secrets, secret)
	c.masked = append(c.masked, mask)
}

// addPasswordSecret registers a password and its URL-escaped forms.
// Passwords of fewer than 3 characters are masked only where they appear
// with their user (user:pw@): replacing every occurrence of so short a
// text would garble messages.
func (c *config) addPasswordSecret(pw string) {
	if len(pw) < 3 {
		return
	}
	for _, s := range []string{pw, url.QueryEscape(pw), url.PathEscape(pw), url.UserPassword("u", pw).String()[2:]} {
		dup := false
		for _, have := range c.secrets {
			dup = dup || have == s
		}
		if !dup {
			c.addSecret(s, "****")
		}
	}
}

// clean removes every secret from a message, longest first.
func (c *config) clean(msg string) string {
	if c == nil {
		return msg
	}
	// longer secrets first, so that a url is masked as a whole before its password
	order := make([]int, len(c.secrets))
	for i := range order {
		order[i] = i
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && len(c.secrets[order[j]]) > len(c.secrets[order[j-1]]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for _, i := range order {
		msg = strings.ReplaceAll(msg, c.secrets[i], c.masked[i])
	}
	return catalog.MaskCredentials(msg)
}

type parsedURL struct {
	user, password string
	addr           string
	db, table      string
	params         [][2]string // in written order
}

// parseURL reads mysql://user:pw@host:port/db[/table][?params] and
// jdbc:mysql://host:port/db?user=..&password=..&... (also mariadb).
// Errors show the url masked by catalog.MaskOption, also when it is too
// malformed to tell its parts.
func parseURL(raw string) (*parsedURL, error) {
	s := strings.TrimSpace(raw)
	masked := catalog.MaskOption(optURL, s)
	bad := func(why string) error {
		return fmt.Errorf("'url' '%s' %s (expected mysql://user:password@host:port/db or jdbc:mysql://host:port/db?user=...)", masked, why)
	}
	if strings.HasPrefix(strings.ToLower(s), "jdbc:") {
		s = s[len("jdbc:"):]
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return nil, bad("is not a URL")
	}
	switch strings.ToLower(scheme) {
	case "mysql", "mariadb":
	default:
		return nil, bad("has scheme '" + scheme + "': only MySQL and MariaDB are supported")
	}
	out := &parsedURL{}
	beforeQuery, _, _ := strings.Cut(rest, "?")
	var userinfo string
	hasUserinfo := false
	if at := strings.LastIndex(beforeQuery, "@"); at >= 0 {
		// a password may hold '/' and '@' unescaped: the user part ends at the last '@'
		userinfo, rest, hasUserinfo = rest[:at], rest[at+1:], true
	}
	rest, query, _ := strings.Cut(rest, "?")
	rest, _, _ = strings.Cut(rest, "#")
	hostPart, path, _ := strings.Cut(rest, "/")
	if hasUserinfo {
		user, pw, hasPW := strings.Cut(userinfo, ":")
		var err error
		if out.user, err = url.PathUnescape(user); err != nil {
			return nil, bad("has a badly escaped user name")
		}
		if hasPW {
			if out.password, err = url.PathUnescape(pw); err != nil {
				return nil, bad("has a badly escaped password")
			}
		}
	}
	if strings.Contains(hostPart, ",") {
		return nil, bad("names several hosts: name one")
	}
	host, port := hostPart, defaultPort
	if hostPart != "" {
		if h, p, err := net.SplitHostPort(hostPart); err == nil {
			host, port = h, p
		} else if strings.Contains(strings.TrimPrefix(strings.TrimSuffix(hostPart, "]"), "["), ":") && !strings.HasPrefix(hostPart, "[") {
			return nil, bad("has an invalid host:port")
		} else {
			host = strings.TrimSuffix(strings.TrimPrefix(hostPart, "["), "]")
		}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return nil, bad("has an invalid port")
	}
	out.addr = net.JoinHostPort(host, port)
	if path != "" {
		parts := strings.Split(strings.TrimSuffix(path, "/"), "/")
		if len(parts) > 2 {
			return nil, bad("has a path with more than a database and a table")
		}
		var err error
		if out.db, err = url.PathUnescape(parts[0]); err != nil {
			return nil, bad("has a badly escaped database name")
		}
		if len(parts) == 2 {
			if out.table, err = url.PathUnescape(parts[1]); err != nil {
				return nil, bad("has a badly escaped table name")
			}
		}
	}
	if query != "" {
		for _, kv := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
			k, v, _ := strings.Cut(kv, "=")
			key, err1 := url.QueryUnescape(k)
			val, err2 := url.QueryUnescape(v)
			if err1 != nil || err2 != nil || key == "" {
				return nil, bad("has a badly escaped parameter")
			}
			switch strings.ToLower(key) {
			case "user":
				out.user = val
			case "password":
				out.password = val
			default:
				out.params = append(out.params, [2]string{key, val})
			}
		}
	}
	return out, nil
}

// jdbcIgnored lists Connector/J parameters that have no meaning here (the
// sink always works in UTC, utf8mb4 and with bound parameters).
var jdbcIgnored = map[string]bool{
	"servertimezone": true, "characterencoding": true, "useunicode": true, "rewritebatchedstatements": true,
	"autoreconnect": true, "allowpublickeyretrieval": true, "zerodatetimebehavior": true,
	"useserverprepstmts": true, "cacheprepstmts": true, "uselegacydatetimecode": true,
	"connectiontimezone": true, "forceconnectiontimezonetosession": true, "allowmultiqueries": true,
	"useaffectedrows": true, "verifyservercertificate": true, "requiressl": true, "tinyint1isbit": true,
	"maxreconnects": true, "failoverreadonly": true, "usejdbccomplianttimezoneshift": true,
	"preservetimezone": true, "prepstmtcachesize": true, "prepstmtcachesqllimit": true,
}

// driverConfig builds the driver's settings from the url parameters:
// Connector/J names are translated or ignored, the driver's own names
// (tls, charset, timeout, readTimeout, ...) pass through, and any other
// name is a session variable set on connect (as the driver does).
func driverConfig(params [][2]string) (*mysql.Config, error) {
	q := url.Values{}
	for _, p := range params {
		k, v := p[0], p[1]
		lk := strings.ToLower(k)
		switch {
		case jdbcIgnored[lk]:
			continue
		case lk == "usessl":
			if b, err := strconv.ParseBool(v); err == nil {
				if b {
					q.Set("tls", "preferred")
				} else {
					q.Set("tls", "false")
				}
				continue
			}
			return nil, fmt.Errorf("url parameter '%s' = '%s': use true or false", k, v)
		case lk == "sslmode":
			switch strings.ToUpper(v) {
			case "DISABLED":
				q.Set("tls", "false")
			case "PREFERRED":
				q.Set("tls", "preferred")
			case "REQUIRED":
				q.Set("tls", "skip-verify")
			case "VERIFY_CA", "VERIFY_IDENTITY":
				q.Set("tls", "true")
			default:
				return nil, fmt.Errorf("url parameter '%s' = '%s' is not an SSL mode", k, v)
			}
			continue
		case lk == "connecttimeout" || lk == "sockettimeout":
			ms, err := strconv.Atoi(v)
			if err != nil || ms < 0 {
				return nil, fmt.Errorf("url parameter '%s' = '%s' is not a number of milliseconds", k, v)
			}
			if ms == 0 {
				continue
			}
			d := (time.Duration(ms) * time.Millisecond).String()
			if lk == "connecttimeout" {
				q.Set("timeout", d)
			} else {
				q.Set("readTimeout", d)
				q.Set("writeTimeout", d)
			}
			continue
		case lk == "interpolateparams" || lk == "multistatements":
			return nil, fmt.Errorf("url parameter '%s' is not supported: values are always sent as bound parameters", k)
		case lk == "parsetime" || lk == "loc":
			continue // the sink sends and reads times in UTC
		}
		q.Set(k, v)
	}
	cfg, err := mysql.ParseDSN("/?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("url parameters: %v", err)
	}
	cfg.InterpolateParams = false
	cfg.MultiStatements = false
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	hasTZ := false
	for k := range cfg.Params {
		hasTZ = hasTZ || strings.EqualFold(k, "time_zone")
	}
	if !hasTZ {
		cfg.Params["time_zone"] = "'+00:00'"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultDialTimeout
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = defaultIOTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = defaultIOTimeout
	}
	return cfg, nil
}

// splitQualified splits "db.table" (the first dot) into its parts; ""
// for the database of an unqualified name. Backquotes around either part
// are removed.
func splitQualified(name string) (db, table string) {
	unq := func(s string) string {
		s = strings.TrimSpace(s)
		if len(s) >= 2 && s[0] == '`' && s[len(s)-1] == '`' {
			return strings.ReplaceAll(s[1:len(s)-1], "``", "`")
		}
		return s
	}
	if strings.HasPrefix(name, "`") {
		// `a.b` or `db`.`t`
		if end := strings.Index(name[1:], "`."); end >= 0 && !strings.HasPrefix(name[1+end:], "``") {
			return unq(name[:end+2]), unq(name[end+3:])
		}
		return "", unq(name)
	}
	if d, t, ok := strings.Cut(name, "."); ok {
		return unq(d), unq(t)
	}
	return "", unq(name)
}

// parseDuration reads '1s', '500ms', '1 min', '2 s' or a plain number of
// milliseconds.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return time.Duration(n) * time.Millisecond, nil
	}
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.TrimSpace(s[i:])
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	var u time.Duration
	switch unit {
	case "ms", "milli", "millis", "millisecond", "milliseconds":
		u = time.Millisecond
	case "s", "sec", "secs", "second", "seconds":
		u = time.Second
	case "m", "min", "mins", "minute", "minutes":
		u = time.Minute
	case "h", "hour", "hours":
		u = time.Hour
	default:
		return 0, fmt.Errorf("bad duration unit %q", unit)
	}
	return time.Duration(f * float64(u)), nil
}

// parseSize reads '64mb', '512 KB', '1gb', '64MiB' or a plain number of
// bytes.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad size %q", s)
	}
	var unit int64
	switch strings.TrimSpace(s[i:]) {
	case "", "b", "bytes":
		unit = 1
	case "k", "kb", "kib":
		unit = 1 << 10
	case "m", "mb", "mib":
		unit = 1 << 20
	case "g", "gb", "gib":
		unit = 1 << 30
	default:
		return 0, fmt.Errorf("bad size unit in %q", s)
	}
	if n > (1<<62)/unit {
		return 0, fmt.Errorf("size %q too large", s)
	}
	return n * unit, nil
}

// columnType returns the MySQL column type for a declared type (for
// 'sink.create-table').
func columnType(t types.Type, key bool) (string, error) {
	var s string
	switch t.Kind {
	case types.KindBool:
		s = "BOOLEAN"
	case types.KindInt:
		switch t.Precision {
		case 8:
			s = "TINYINT"
		case 16:
			s = "SMALLINT"
		case 32:
			s = "INT"
		default:
			s = "BIGINT"
		}
	case types.KindDouble:
		s = "DOUBLE"
	case types.KindDecimal:
		if t.Precision == 0 {
			s = fmt.Sprintf("DECIMAL(38, %d)", t.Scale)
		} else {
			s = fmt.Sprintf("DECIMAL(%d, %d)", t.Precision, t.Scale)
		}
	case types.KindString:
		switch {
		case t.Precision > 0:
			s = fmt.Sprintf("VARCHAR(%d)", t.Precision)
		case key:
			s = "VARCHAR(255)"
		default:
			s = "TEXT"
		}
	case types.KindTimestamp:
		s = fmt.Sprintf("DATETIME(%d)", min(t.Precision, 6))
	case types.KindDate:
		s = "DATE"
	case types.KindInterval:
		s = "BIGINT"
	default:
		return "", fmt.Errorf("type %s cannot be written to a database", t)
	}
	if t.NotNull || key {
		s += " NOT NULL"
	} else {
		s += " NULL"
	}
	return s, nil
}

// quote returns a backquoted identifier.
func quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// qualified returns `db`.`table`.
func qualified(db, table string) string {
	if db == "" {
		return quote(table)
	}
	return quote(db) + "." + quote(table)
}
