// Package optimizer rewrites a bound logical plan (package plan) into an
// equivalent one that is cheaper to run, with named rules applied in a
// fixed order.
//
// Who calls: the planner, once per query, before it translates the plan
// into an operator graph (planner.PlanQuery / PlanInserts), and the engine
// for EXPLAIN RULES, which shows the plan after every rule that changed it
// (Trace).
//
// Contract of a rule: it takes an immutable plan tree and returns an
// equivalent tree (same rows, same output schema: column names and types
// in order), sharing every subtree it did not change, and returns its
// argument itself when it changes nothing; that identity is how Optimize
// knows it is done. Rules never fail: a plan a rule cannot improve is
// returned as it is, and plans that cannot run are rejected by the planner.
//
// Order: Optimize runs the rules of Rules() in order, as one pass, and
// repeats the pass until no rule changes the plan (a rule may open a move
// for an earlier one: pruning a join puts projections over its inputs,
// which merge-projects then folds into the projections below them). The
// order, and so the plan, depends only on the input plan: the same query
// always gets the same plan, and so the same operator ids.
//
// The rules:
//
//   - decorrelate: a subquery the binder left as a plan.Apply (the
//     subquery as written, its reads of the outer row expr.OuterCol
//     references) becomes a join. A WHERE clause's IN / EXISTS (NOT IN /
//     NOT EXISTS) is a semi (anti) join keyed by x = y and the subquery's
//     correlated equalities inner = outer, pulled up from wherever they
//     are (a WHERE, a JOIN ... ON) through its projections, filters, inner
//     joins and grouped aggregates (which then also group by the inner
//     sides: per outer row, the groups of the rows it selects, so GROUP
//     BY and HAVING keep their meaning); a subquery correlated otherwise
//     (x < t1.b, an outer column in a projection, a reference two levels
//     out the binder carried into the middle query's rows) gets the
//     distinct values of the outer columns it reads joined in where it
//     reads them, carried up (grouped by too) to the semi join, which
//     matches them NULL-safely. Correlated terms of a filter on top of the
//     subquery that are not equalities (s.ts BETWEEN r.ts AND r.ts +
//     INTERVAL ...) are the join's residual when an equality keys it (the
//     planner can then run an interval semi / anti join). A subquery read as a value (an aggregate
//     without GROUP BY: a scalar subquery, or the counts and bounds that
//     EXISTS, IN and ANY / ALL read) is a LEFT join with that aggregate:
//     without keys when uncorrelated; grouped by the inner sides (any
//     expression, in the type the binder gave both sides) and joined on
//     them when correlated by equalities (a GROUP BY of the subquery
//     stays, grouped by the inner sides too); otherwise the distinct
//     values of the outer columns it reads are joined into it (its
//     equalities with them as that join's keys; its aggregates read them
//     there, its select list as the keys), it groups by them, and the
//     LEFT join matches them NULL-safely. An Apply in another form (the
//     outer row read below an aggregate without GROUP BY, a window
//     aggregate, an outer join other than in a LEFT join's condition or
//     preserved side, or a LIMIT, where the correlation cannot be taken
//     out) stays, and the planner refuses it with an error at the
//     subquery's position (Refusal). It runs first: the other rules see
//     only joins.
//   - join-reorder: a chain of inner joins (and the WHERE above it) is
//     joined again, greedily in written order, so that every join has an
//     equality whenever the join graph is connected (FROM a, b, c WHERE
//     a.x = c.x AND b.y = c.y joins a with c first); the columns stay in
//     written order.
//   - window-propagation: an event-time window aggregate's window_start
//     and window_end keep their role up the plan (through filters,
//     projections of plain columns and joins' never-padded sides); a
//     GROUP BY on both further up becomes a window aggregate over the
//     window the rows carry, emitted once when it closes, instead of a
//     changelog aggregate (Nexmark q5's MaxBids).
//   - fold-constants: constant sub-expressions (no column read, no
//     volatile function) of filters, join keys and conditions,
//     projections and aggregates' keys and arguments are evaluated to
//     literals of their own type (after other rewrites put literals into
//     them: a pushed-down filter, a decorrelated subquery's value over no
//     rows); TRUE terms of a condition are dropped, and a filter left
//     without terms disappears. One that fails to evaluate stays, to fail
//     at run time.
//   - merge-projects: a projection over a projection becomes one, when
//     no computed expression would be evaluated twice.
//   - filter-pushdown: filters move towards the sources: below a
//     projection of plain columns, into an inner join's condition, below
//     the never-padded side of an outer, semi or anti join, below a window
//     table function (terms over the input's columns); a join's terms over
//     one side filter that side before the join (except over the side an
//     outer join preserves, and the left side of an anti join).
//   - equi-join-keys: an inner join without keys (a nested loop) whose
//     condition equates an expression of each side gets those equalities
//     as its keys, so that it runs as a hash join; joins that have keys
//     keep them (their keys decide the partitioning, and so a savepoint's
//     ids). Decorrelation leaves such joins (the distinct outer values
//     joined into a subquery, filtered by the correlation).
//   - column-pruning: a join under a projection or an aggregate gets
//     projections over its inputs that keep only the columns read above it
//     (and its keys and condition): smaller join state, less copying.
//   - lookup-probe-pruning: a lookup join's probe side that is a projection
//     is bypassed (its plain columns read directly) or narrowed to the
//     columns read, so nothing unread is computed per probe row.
//
// Rewrites that still happen while binding (package sql): a subquery is
// read as an aggregate there (EXISTS as COUNT(*) > 0, IN through COUNTs,
// ANY / ALL through MIN and MAX, a scalar subquery through SINGLE_VALUE:
// SQL's value rules, which the select list over the LEFT join reads); a
// column two query levels out is carried into the middle query's rows
// (the Apply model reads only the row of the query right around a
// subquery). One correlated form is still decorrelated while binding,
// because its decorrelated form needs the subquery's SQL text again: a
// subquery over a window table function (grouped by the window's bounds
// it is a window aggregate, which the binder makes from that text); the
// binder's fallback (joinGrouped) also reports the correlations it cannot
// type (no common type of the two sides) and an unqualified outer column
// the subquery's FROM also has.
//
// Constant expressions the user writes are still folded by the binder as
// they are typed (expr.Folder), for three reasons: errors (an invalid
// constant CAST such as CAST('x' AS INT), an out-of-range constant) are
// reported there, at the expression's line and column, which a plan rule
// no longer knows; a folded literal is typed NOT NULL when its value is
// not NULL (1 / 2 is nullable as written, as a division by zero is NULL),
// and the output schema (a sink's NOT NULL columns, DESCRIBE) depends on
// that, which a rule must not change; and several clauses need
// a literal to be typed or bound at all (LIMIT, INTERVAL and window
// sizes, an aggregate's constant parameters, INSERT ... VALUES). The
// fold-constants rule folds what the rewrites after binding make constant.
package optimizer
