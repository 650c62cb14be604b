package format

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/types"
)

// The two-column case of text sources: a word and a TIMESTAMP(3), as a
// job counting words per window reads them. Each benchmark decodes the
// same benchLines records (words out of a vocabulary of 1,000, event time
// a 1 ms sequence) into batches of 1,024 rows, as a source fills them, and
// reports rows per second. The baselines are hand-written loops over the
// same lines that produce the same values (a string per word, epoch
// milliseconds per timestamp) with bytes.IndexByte and fixed-position
// digit arithmetic, and nothing else: no options, no error messages, no
// other formats, no checks; the decoder ÷ baseline ratio is the cost of
// being general. They make a word's string either by copying it per row
// (baseline-copy) or through a Go map from text to string (baseline-map,
// as the decoder reuses the strings of repeated words).

const benchLines = 1 << 14

var wordSchema = types.Schema{{Name: "word", Type: types.String}, {Name: "ts", Type: types.TimestampType(3)}}

// benchWords returns a vocabulary of n distinct lower-case words of 3 to
// 10 letters.
func benchWords(n int) []string {
	words := make([]string, n)
	x := uint64(0x9E3779B97F4A7C15)
	for i := range words {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		w := make([]byte, 3+x%8)
		for j := range w {
			w[j] = 'a' + byte((x>>(5*j+8))%26)
		}
		words[i] = string(w) + fmt.Sprint(i%10)
	}
	return words
}

// wordLines returns benchLines records of the two-column case in format
// name ("csv" or "json").
func wordLines(name string) [][]byte {
	words := benchWords(1000)
	const start = 1602288005123 // 2020-10-10 00:00:05.123
	lines := make([][]byte, benchLines)
	x := uint64(1)
	for i := range lines {
		x = x*6364136223846793005 + 1442695040888963407
		w := words[(x>>33)%uint64(len(words))]
		t := types.AppendTimestamp(nil, start+int64(i), 3)
		if name == "csv" {
			lines[i] = fmt.Appendf(nil, "%s,%s", w, t)
		} else {
			lines[i] = fmt.Appendf(nil, `{"word": "%s", "ts": "%s"}`, w, t)
		}
	}
	return lines
}

// benchRows runs decode over every line per iteration, into batches of
// 1,024 rows, and reports rows per wall-clock second and per second of
// process CPU time (the per-core figure that other load on a shared
// machine disturbs less).
func benchRows(b *testing.B, lines [][]byte, width int, decode func(line []byte, row []types.Value) error) {
	batch := types.NewBatch(width, 1024)
	b.ReportAllocs()
	rows := 0
	cpu := testkit.ProcessCPU()
	for b.Loop() {
		for _, l := range lines {
			if batch.Len() == 1024 {
				batch.Reset()
			}
			if err := decode(l, batch.AppendEmpty(types.Insert)); err != nil {
				b.Fatal(err)
			}
		}
		rows += len(lines)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(rows), "ns/row")
	if d := testkit.ProcessCPU() - cpu; d > 0 && cpu > 0 {
		b.ReportMetric(float64(rows)/d.Seconds(), "rows/cpu-s")
	}
}

// baselineStrings are the two ways the baselines make a word's string: a
// copy per row, or a map from text to string (one copy per distinct word).
func baselineStrings() map[string]func([]byte) string {
	seen := map[string]string{}
	return map[string]func([]byte) string{
		"copy": func(b []byte) string { return string(b) },
		"map": func(b []byte) string {
			if s, ok := seen[string(b)]; ok {
				return s
			}
			s := string(b)
			seen[s] = s
			return s
		},
	}
}

func BenchmarkWordCSV(b *testing.B) {
	lines := wordLines("csv")
	b.Run("decoder", func(b *testing.B) {
		f, err := New("csv", wordSchema, nil)
		if err != nil {
			b.Fatal(err)
		}
		benchRows(b, lines, 2, f.NewDecoder().Decode)
	})
	for _, how := range []string{"copy", "map"} {
		b.Run("baseline-"+how, func(b *testing.B) {
			str := baselineStrings()[how]
			benchRows(b, lines, 2, func(l []byte, row []types.Value) error {
				k := bytes.IndexByte(l, ',')
				if k < 0 {
					return fmt.Errorf("no delimiter in %q", l)
				}
				ms, ok := baselineTimestamp(l[k+1:])
				if !ok {
					return fmt.Errorf("bad timestamp %q", l[k+1:])
				}
				row[0] = types.StringValue(str(l[:k]))
				row[1] = types.TimestampValue(ms)
				return nil
			})
		})
	}
}

func BenchmarkWordJSON(b *testing.B) {
	lines := wordLines("json")
	b.Run("decoder", func(b *testing.B) {
		f, err := New("json", wordSchema, nil)
		if err != nil {
			b.Fatal(err)
		}
		benchRows(b, lines, 2, f.NewDecoder().Decode)
	})
	for _, how := range []string{"copy", "map"} {
		b.Run("baseline-"+how, func(b *testing.B) {
			str := baselineStrings()[how]
			benchRows(b, lines, 2, func(l []byte, row []types.Value) error {
				// "key": "value" pairs, both quoted, no escapes.
				i := 0
				for {
					k0 := bytes.IndexByte(l[i:], '"')
					if k0 < 0 {
						return nil
					}
					k0 += i + 1
					k1 := k0 + bytes.IndexByte(l[k0:], '"')
					v0 := k1 + 1 + bytes.IndexByte(l[k1+1:], '"') + 1
					v1 := v0 + bytes.IndexByte(l[v0:], '"')
					switch string(l[k0:k1]) {
					case "word":
						row[0] = types.StringValue(str(l[v0:v1]))
					case "ts":
						ms, ok := baselineTimestamp(l[v0:v1])
						if !ok {
							return fmt.Errorf("bad timestamp %q", l[v0:v1])
						}
						row[1] = types.TimestampValue(ms)
					}
					i = v1 + 1
				}
			})
		})
	}
}

// baselineTimestamp parses exactly 'YYYY-MM-DD HH:MM:SS.fff' by position.
func baselineTimestamp(t []byte) (int64, bool) {
	if len(t) != 23 || t[4] != '-' || t[7] != '-' || t[10] != ' ' || t[13] != ':' || t[16] != ':' || t[19] != '.' {
		return 0, false
	}
	n := func(i, w int) int64 {
		var v int64
		for _, c := range t[i : i+w] {
			v = v*10 + int64(c-'0')
		}
		return v
	}
	y, m, d := n(0, 4), n(5, 2), n(8, 2)
	// days from civil (Howard Hinnant), for years after 0
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + d - 1
	days := era*146097 + yoe*365 + yoe/4 - yoe/100 + doy - 719468
	return days*86400000 + n(11, 2)*3600000 + n(14, 2)*60000 + n(17, 2)*1000 + n(20, 3), true
}
