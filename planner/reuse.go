package planner

import (
	"reflect"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/plan"
)

// Sub-plan reuse (table.optimizer.reuse-sub-plan-enabled, on by default
// as in Flink): a subtree of the plan equal to one the builder translated
// already is not translated again; its consumers read the first one's
// output vertex. Nexmark q5's two identical HOP COUNT aggregates over bid
// (AuctionBids and CountBids) thus run as one operator feeding both.
//
// Operator ids stay derived from the query's structure: the first
// occurrence gets the id it always had, and the later ones add no vertex.
// A graph without equal subtrees is unchanged.

// builtPlan is a translated subtree and its output stream.
type builtPlan struct {
	node plan.Node
	out  stream
}

// reused returns the stream of a translated subtree equal to n.
func (b *builder) reused(n plan.Node) (stream, bool) {
	if b.cfg.NoSubPlanReuse {
		return stream{}, false
	}
	if _, ok := n.(*plan.Scan); ok {
		return stream{}, false // scans are shared by table (b.scans)
	}
	for _, p := range b.built {
		if samePlan(p.node, n) {
			return p.out, true
		}
	}
	return stream{}, false
}

// samePlan reports whether two subtrees compute the same rows with the
// same schema: equal node values, children compared with samePlan. Two
// scans of one table are the same whatever their aliases (a scan's schema
// is the table's). A subtree calling a volatile function (NOW, RAND) is
// never the same as another: each call site gets its own values.
func samePlan(a, b plan.Node) bool {
	if a == b {
		return true
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() {
		return false
	}
	if sa, ok := a.(*plan.Scan); ok {
		return sa.Table == b.(*plan.Scan).Table
	}
	// The node's own fields first: most nodes that differ differ there.
	if !sameValue(va, vb, 0) {
		return false
	}
	ca, cb := a.Children(), b.Children()
	if len(ca) != len(cb) {
		return false
	}
	for i := range ca {
		if !samePlan(ca[i], cb[i]) {
			return false
		}
	}
	return true
}

const maxDepth = 1000

var (
	nodeType  = reflect.TypeFor[plan.Node]()
	nodesType = reflect.TypeFor[[]plan.Node]()
	callType  = reflect.TypeFor[*expr.Call]()
	implType  = reflect.TypeFor[expr.Impl]()
)

// sameValue compares two values of one type deeply. Fields holding plan
// nodes (children, compared by samePlan) are skipped. Functions are equal
// only when both are nil, except a call's bound implementation: it is
// chosen by the function name and the argument types, which are compared.
//
// Values nested deeper than maxDepth count as different (a bound on
// structures that point back to themselves).
func sameValue(a, b reflect.Value, depth int) bool {
	t := a.Type()
	if t == nodeType || t == nodesType {
		return true
	}
	if depth++; depth > maxDepth {
		return false
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		if a.Pointer() == b.Pointer() {
			return true
		}
		if t == callType && (a.Elem().FieldByName("Volatile").Bool() || b.Elem().FieldByName("Volatile").Bool()) {
			return false
		}
		return sameValue(a.Elem(), b.Elem(), depth)
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		if a.Elem().Type() != b.Elem().Type() {
			return false
		}
		return sameValue(a.Elem(), b.Elem(), depth)
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if t == implType && a.Field(i).Kind() == reflect.Func {
				continue
			}
			if !sameValue(a.Field(i), b.Field(i), depth) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		fallthrough
	case reflect.Array:
		for i := 0; i < a.Len(); i++ {
			if !sameValue(a.Index(i), b.Index(i), depth) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		it := a.MapRange()
		for it.Next() {
			v := b.MapIndex(it.Key())
			if !v.IsValid() || !sameValue(it.Value(), v, depth) {
				return false
			}
		}
		return true
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return a.IsNil() && b.IsNil()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	case reflect.Complex64, reflect.Complex128:
		return a.Complex() == b.Complex()
	case reflect.String:
		return a.String() == b.String()
	}
	return false
}
