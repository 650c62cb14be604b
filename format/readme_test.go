package format

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeDocumentsEveryOption: the README's format section lists every
// format option with its default.
func TestReadmeDocumentsEveryOption(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, o := range OptionDocs() {
		row := "| `" + o.Key + "` | "
		i := strings.Index(readme, row)
		if i < 0 {
			t.Errorf("README does not document format option %s", o.Key)
			continue
		}
		def := "(none)"
		if o.Default != "" {
			def = "`" + o.Default + "`"
		}
		if !strings.HasPrefix(readme[i+len(row):], def+" |") {
			t.Errorf("README's default of %s is not %s", o.Key, def)
		}
	}
}
