package engine

import "github.com/streamsql/streamsql/sql"

func splitForTest(s string) []sql.Piece { return sql.Split(s) }
