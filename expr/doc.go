// Package expr holds bound scalar expressions: trees that the sql binder
// builds (columns resolved to row positions, types checked) and that
// operators evaluate against rows.
//
// Contract: an Expr is immutable after binding and safe for concurrent
// Eval calls from several tasks. Eval must not retain the row slice.
// SQL NULL semantics apply (three-valued logic for AND/OR/NOT, NULL in
// arithmetic gives NULL). An error from Eval fails the running job
// (e.g. RAISE_ERROR, a failing CAST); it is never turned into a row. Such
// errors are *EvalError values (Raised is set for RAISE_ERROR).
//
// OuterCol is a column of the outer row of a correlated subquery, in a
// plan not yet decorrelated (plan.Apply); it is never evaluated.
//
// Building: the constructors (NewArith, NewCompare, NewAnd, NewIn,
// NewBetween, NewLike, NewCase, NewCoalesce, NewCast, NewCall, ...) type-check
// their operands, insert the implicit conversions, and return a *TypeError
// naming the offending operand. Fold turns constant sub-trees into Literals
// at bind time (volatile functions such as NOW and RAISE_ERROR are never
// folded).
//
// Semantics, MySQL-flavoured:
//   - Numbers: INT is int64, DECIMAL an unscaled int64 with a scale (at most
//     18 digits), DOUBLE float64. + - * on integers give BIGINT; with a
//     DECIMAL operand DECIMAL (scale max(s1,s2) for + -, s1+s2 for *); '/'
//     on integers/decimals gives DECIMAL with the dividend's scale + 4 (7/3 =
//     2.3333); any DOUBLE operand gives DOUBLE; DIV gives BIGINT; % keeps the
//     kind. Division or modulo by zero gives NULL; integer and decimal
//     overflow is an evaluation error. A string operand meeting a number
//     (or another string) is read as a DOUBLE by its numeric prefix, as
//     MySQL does ('3' + 1 is 4, '3x' * 2 is 6, 'x' + 1 is 1; -'3' is -3).
//   - Comparisons: numbers compare by value across kinds; strings bytewise
//     (case-sensitive); a string compared with a TIMESTAMP/DATE is cast to it,
//     with a number to DOUBLE. TIMESTAMP ± INTERVAL gives TIMESTAMP.
//   - Conditions: numbers used as conditions mean x <> 0.
//   - BOOLEAN meeting numbers (MySQL's rule, not Flink's, which refuses
//     the mix): TRUE is 1 and FALSE is 0 in arithmetic (TRUE + TRUE is
//     the BIGINT 2, -TRUE is -1), in comparisons with a number, and where
//     a BOOLEAN and a number meet in one type (COALESCE, IF, CASE, IN
//     lists, UNION and the other set operations: CommonType gives
//     BIGINT, or the number's type when it is DECIMAL or DOUBLE). SUM and
//     AVG of a BOOLEAN count its TRUEs. BOOLEAN with BOOLEAN stays
//     BOOLEAN; BOOLEAN does not meet a string.
//   - LIKE: '%' matches any run of characters, '_' exactly one (a UTF-8
//     character; an invalid byte counts as one), ESCAPE 'c' (default '\')
//     makes the next character literal; case-sensitive, bytewise. Matching
//     is linear in the row (segments between '%' matched anchored at the
//     ends and leftmost in between, no backtracking); a literal pattern is
//     compiled once per expression.
//   - INTERVAL: at most MaxIntervalMillis (3 652 058 days, the span of
//     TIMESTAMP) either way; a larger literal, DATE_ADD amount or window
//     size is a bind-time error that says so.
//   - CAST converts between all kinds where it makes sense; string to
//     TIMESTAMP parses 'YYYY-MM-DD[ HH:MM[:SS[.fff]]]' (UTC); a value that
//     does not convert is an error naming it.
//   - Time is UTC; TIMESTAMP values are milliseconds since the epoch.
//
// Functions live in a registry (Register, Lookup, FunctionNames for
// completion). Each is bound once per call site (Func.Bind) to an Impl with
// fixed-arity evaluators, so calls of up to three arguments evaluate without
// allocating an argument slice.
package expr
