package jdbc

// Helpers for the external tests (package jdbc_test).
var (
	OwnDatabase = testDatabase
	ServerAddr  = serverAddr
)
