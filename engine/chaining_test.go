package engine

import (
	"path/filepath"
	"testing"
)

// TestSavepointAcrossOperatorChaining: checkpoints are per operator
// instance whether operators are chained or not, so a job stopped with a
// savepoint with chaining off resumes with it on (and the other way),
// at another parallelism, with the rows of an uninterrupted run.
func TestSavepointAcrossOperatorChaining(t *testing.T) {
	root := t.TempDir()
	want := referenceRows(t, filepath.Join(root, "ref"), hopInsert, 100)
	for _, from := range []string{"false", "true"} {
		to := map[string]string{"false": "true", "true": "false"}[from]
		t.Run("chaining-"+from+"-to-"+to, func(t *testing.T) {
			stopAndResume(t, filepath.Join(root, from), want, "SET 'parallelism.default' = '2'; SET 'pipeline.operator-chaining' = '"+from+"';",
				"SET 'parallelism.default' = '3'; SET 'pipeline.operator-chaining' = '"+to+"';", false)
		})
	}
}
