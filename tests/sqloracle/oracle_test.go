package sqloracle

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/internal/testkit"
	"github.com/streamsql/streamsql/tests/conformance"
	"github.com/streamsql/streamsql/tests/sqllogic"
)

var rewrite = flag.Bool("rewrite", false, "write the computed suites into tests/sqllogic/testdata")

const suitesDir = "../sqllogic/testdata"

// TestOracle recomputes every suite of testdata/*.spec with MariaDB and
// fails when the committed .slt differs (see doc.go).
func TestOracle(t *testing.T) {
	testkit.RequireMariaDB(t)
	o, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := o.Close(); err != nil {
			t.Error(err)
		}
	})
	specs, err := filepath.Glob("testdata/*.spec")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no specs in testdata (%v)", err)
	}
	local, err := filepath.Glob("testdata/local/*.spec")
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range append(specs, local...) {
		text, err := os.ReadFile(spec)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(spec)
		got, err := o.Generate(name, string(text))
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		path := filepath.Join(suitesDir, strings.TrimSuffix(name, ".spec")+".slt")
		if filepath.Dir(spec) != "testdata" {
			path = strings.TrimSuffix(spec, ".spec") + ".slt" // a local suite (TestLocalSuites)
		}
		if *rewrite {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", path)
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v (run go test ./tests/sqloracle -rewrite)", err)
			continue
		}
		if string(want) != got {
			t.Errorf("%s differs from what MariaDB computes (run go test ./tests/sqloracle -rewrite after checking why):\n%s",
				path, sqllogic.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n"), "committed", "computed"))
		}
	}
}

// TestLocalSuites runs the suites of testdata/local (long value suites
// kept out of the sqllogic matrix of checkpoint modes) at parallelism 1, 2
// and 4.
func TestLocalSuites(t *testing.T) {
	files, err := filepath.Glob("testdata/local/*.slt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no suites in testdata/local (%v)", err)
	}
	for _, f := range files {
		for _, p := range []int{1, 2, 4} {
			r, err := conformance.RunFile(f, p, sqllogic.Options{}, nil)
			if err != nil {
				t.Fatalf("%s at parallelism %d: %v", f, p, err)
			}
			for _, fl := range r.Failures {
				t.Errorf("%s at parallelism %d: %v: %s\n    %s\n%s", f, p, fl.Pos, fl.Message, fl.SQL, fl.Diff)
			}
			if r.Passed == 0 {
				t.Errorf("%s at parallelism %d: no record passed", f, p)
			}
		}
	}
}

func TestParseSpec(t *testing.T) {
	recs, err := ParseSpec("# intro\n\nstatement ok\nCREATE TABLE t (a INT)\n\n# c\nquery II rowsort\nSELECT a,\n a FROM t\n\nstatement error no\nSELECT nope\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[0].Header != "" || recs[1].Kind() != "statement" || recs[2].Kind() != "query" ||
		recs[2].Types() != "II" || !recs[2].RowSort() || recs[2].SQL != "SELECT a,\n a FROM t" || recs[2].Comments[0] != "# c" ||
		recs[3].Kind() != "error" {
		t.Fatalf("ParseSpec = %+v", recs)
	}
	alt, err := ParseSpec("query I rowsort\nSELECT a FROM t FULL JOIN u ON t.a = u.a\n-- mariadb:\nSELECT a FROM t\n")
	if err != nil || len(alt) != 1 || alt[0].SQL != "SELECT a FROM t FULL JOIN u ON t.a = u.a" || alt[0].OracleSQL() != "SELECT a FROM t" {
		t.Fatalf("ParseSpec with -- mariadb: = %+v, %v", alt, err)
	}
	if _, err := ParseSpec("qurey I\nSELECT 1\n"); err == nil || !strings.Contains(err.Error(), "unknown record") {
		t.Fatalf("a misspelt header parsed: %v", err)
	}
}
