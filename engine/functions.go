package engine

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// showFunctions is the result of SHOW FUNCTIONS: one row per function
// (name, kind, signature), sorted by name.
func showFunctions() *Result {
	schema := types.Schema{{Name: "function name", Type: types.String}, {Name: "kind", Type: types.String},
		{Name: "signature", Type: types.String}}
	var rows [][]types.Value
	for _, s := range expr.Signatures() {
		rows = append(rows, []types.Value{types.StringValue(s.Name), types.StringValue(s.Kind), types.StringValue(s.Usage)})
	}
	return &Result{Schema: schema, Rows: rows}
}
