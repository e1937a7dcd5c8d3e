package sqlitestore

import "database/sql"

// ReadDB is the read pool, for tests that inspect connection settings.
func ReadDB(s *Store) *sql.DB { return s.core.DB().DB }
