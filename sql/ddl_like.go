package sql

import (
	"strings"

	"github.com/streamsql/streamsql/catalog"
)

// Flink's CREATE TABLE t [(columns ...)] [WITH (...)] LIKE src [(like
// options)]: the new table starts from src's definition. The like options
// are { INCLUDING | EXCLUDING } { ALL | CONSTRAINTS | PARTITIONS } and
// { INCLUDING | EXCLUDING | OVERWRITING } { GENERATED | OPTIONS |
// WATERMARKS }, applied in order; the default is INCLUDING ALL OVERWRITING
// OPTIONS (as in Flink). src's columns come first, then the new ones (a
// name used twice is an error). GENERATED is src's PROCTIME() column,
// CONSTRAINTS its primary key, PARTITIONS its PARTITIONED BY, WATERMARKS
// its WATERMARK, OPTIONS its WITH options. INCLUDING takes src's part and
// makes a second declaration in the new table an error (for OPTIONS: a
// key given in both); OVERWRITING lets the new table's declaration (or
// option key) win; EXCLUDING leaves src's part out. MySQL's CREATE TABLE t
// LIKE src is the same statement with the defaults.

type likeMode uint8

const (
	likeIncluding likeMode = iota
	likeExcluding
	likeOverwriting
)

type likeFeature uint8

const (
	likeConstraints likeFeature = iota
	likePartitions
	likeGenerated
	likeOptions
	likeWatermarks
	nLikeFeatures
)

var likeFeatureNames = [nLikeFeatures]string{"CONSTRAINTS", "PARTITIONS", "GENERATED", "OPTIONS", "WATERMARKS"}

// likeClause is a parsed LIKE clause.
type likeClause struct {
	src  *catalog.Table
	off  int // offset of LIKE
	mode [nLikeFeatures]likeMode
}

// findLike finds LIKE at parenthesis depth 0 in toks[from:], parses the
// clause, blanks it in buf and returns it with the index of the LIKE
// token (nil, -1 when there is none). The clause must end the statement.
func (cx *compiler) findLike(buf []byte, from int) (*likeClause, int, error) {
	const usage = "usage: CREATE TABLE t [(columns)] [WITH (...)] LIKE src [(INCLUDING ALL | EXCLUDING OPTIONS | ...)]"
	p, toks := cx.p, cx.toks
	depth, at := 0, -1
	for j := from; j < len(toks); j++ {
		switch {
		case toks[j].is("("):
			depth++
		case toks[j].is(")"):
			depth--
		case depth == 0 && toks[j].is("LIKE"):
			at = j
		}
		if at >= 0 {
			break
		}
	}
	if at < 0 {
		return nil, -1, nil
	}
	c := &cursor{p: p, toks: toks, i: at + 1}
	name, off, err := c.name("table")
	if err != nil {
		return nil, -1, err
	}
	src := cx.cat.Table(name)
	if src == nil {
		if cx.cat.View(name) != nil {
			return nil, -1, p.errAt(ErrInvalid, off, "'"+name+"' is a view: LIKE copies a table's definition", "")
		}
		return nil, -1, p.errAt(ErrUnknownTable, off, "unknown table '"+name+"'", cx.tableHint(name))
	}
	lc := &likeClause{src: src, off: toks[at].start}
	lc.mode[likeOptions] = likeOverwriting
	if c.accept("(") {
		for !c.accept(")") {
			var m likeMode
			switch {
			case c.accept("INCLUDING"):
				m = likeIncluding
			case c.accept("EXCLUDING"):
				m = likeExcluding
			case c.accept("OVERWRITING"):
				m = likeOverwriting
			default:
				return nil, -1, c.errHere("expected INCLUDING, EXCLUDING or OVERWRITING", usage)
			}
			t := c.peek()
			f := nLikeFeatures
			for k, n := range likeFeatureNames {
				if t.is(n) {
					f = likeFeature(k)
				}
			}
			switch {
			case t.is("ALL") && m != likeOverwriting:
				for k := range lc.mode {
					lc.mode[k] = m
				}
			case f == nLikeFeatures:
				return nil, -1, c.errHere("expected ALL, CONSTRAINTS, PARTITIONS, GENERATED, OPTIONS or WATERMARKS", usage)
			case m == likeOverwriting && (f == likeConstraints || f == likePartitions || t.is("ALL")):
				return nil, -1, p.errAt(ErrInvalid, t.start, "OVERWRITING "+strings.ToUpper(t.text)+" is not allowed", "OVERWRITING applies to GENERATED, OPTIONS and WATERMARKS")
			default:
				lc.mode[f] = m
			}
			c.i++
			c.accept(",")
			if c.eof() {
				return nil, -1, c.errHere("missing ')' to close the LIKE options", usage)
			}
		}
	}
	if err := c.done(usage); err != nil {
		return nil, -1, err
	}
	blank(buf, toks[at].start, len(p.Text))
	return lc, at, nil
}

// columns returns src's columns that the new table starts with: all of
// them, without the PROCTIME column under EXCLUDING GENERATED.
func (lc *likeClause) columns() []ddlColumn {
	var out []ddlColumn
	for i, col := range lc.src.Columns {
		proc := i == lc.src.ProctimeColumn
		if proc && lc.mode[likeGenerated] == likeExcluding {
			continue
		}
		out = append(out, ddlColumn{name: col.Name, off: lc.off, typ: col.Type.Nullable(), proctime: proc, notNull: col.Type.NotNull})
	}
	return out
}

// options merges src's options with the new table's per the OPTIONS mode.
func (lc *likeClause) options(p Piece, opts []catalog.Option) ([]catalog.Option, error) {
	switch lc.mode[likeOptions] {
	case likeExcluding:
		return opts, nil
	case likeIncluding:
		for _, o := range opts {
			if lc.src.HasOption(o.Key) {
				return nil, p.errAt(ErrDuplicate, lc.off, "option '"+o.Key+"' is set here and in LIKE table '"+lc.src.Name+"' (INCLUDING OPTIONS)",
					"use OVERWRITING OPTIONS to replace it")
			}
		}
	}
	out := append([]catalog.Option(nil), lc.src.Options...)
	for _, o := range opts {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, o.Key) {
				out[i].Value = o.Value
				replaced = true
			}
		}
		if !replaced {
			out = append(out, o)
		}
	}
	return out, nil
}

// inherit applies src's primary key, watermark and partitioning to tbl
// (whose columns include src's) per the like options; the flags say
// which of them the new statement declared itself.
func (lc *likeClause) inherit(p Piece, tbl *catalog.Table, ownPK, ownWM, ownPart bool) error {
	src := lc.src
	byName := func(i int) int { return tbl.Columns.Index(src.Columns[i].Name) }
	conflict := func(what, feature string) error {
		return p.errAt(ErrDuplicate, lc.off, "table '"+tbl.Name+"' declares "+what+" and LIKE table '"+src.Name+"' has one ("+"INCLUDING "+feature+")",
			"add (EXCLUDING "+feature+") to the LIKE clause")
	}
	if src.PrimaryKey != nil && lc.mode[likeConstraints] == likeIncluding {
		if ownPK {
			return conflict("a primary key", "CONSTRAINTS")
		}
		for _, k := range src.PrimaryKey {
			i := byName(k)
			tbl.PrimaryKey = append(tbl.PrimaryKey, i)
			tbl.Columns[i].Type.NotNull = true
		}
	}
	if src.Watermark != nil && lc.mode[likeWatermarks] != likeExcluding {
		switch {
		case ownWM && lc.mode[likeWatermarks] == likeIncluding:
			return conflict("a WATERMARK", "WATERMARKS")
		case !ownWM:
			if i := byName(src.Watermark.Column); i >= 0 {
				w := *src.Watermark
				w.Column = i
				tbl.Watermark = &w
			}
		}
	}
	if src.Partitioned() && lc.mode[likePartitions] == likeIncluding {
		if ownPart {
			return conflict("PARTITIONED BY", "PARTITIONS")
		}
		if !strings.EqualFold(tbl.Connector(), "filesystem") {
			return p.errAt(ErrInvalid, lc.off, "LIKE table '"+src.Name+"' is PARTITIONED BY, but table '"+tbl.Name+"' is not a filesystem table",
				"add (EXCLUDING PARTITIONS) to the LIKE clause")
		}
		for _, k := range src.PartitionKeys {
			tbl.PartitionKeys = append(tbl.PartitionKeys, byName(k))
		}
	}
	return nil
}
