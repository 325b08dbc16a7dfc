// Command sqlite-index adds the missing `_id` expression index to FerretDB 1.24 SQLite tables.
//
// FerretDB creates its unique `_id` index on `_ferretdb_sjson->"_id"` but filters with
// `_ferretdb_sjson->'$._id' = ?`. SQLite matches index expressions by their text, so that index
// is never used and every lookup by `_id` scans the whole table. This tool creates an index on
// the exact expression the queries use (docs/adr/0003-ferretdb-sqlite-id-index.md).
//
// Usage:
//
//	sqlite-index [--check] <path-to-db.sqlite> [collection ...]
//
// Without collection names every FerretDB collection in the file is handled. It prints one line
// per index it creates. With --check it creates nothing and prints, per collection, the query
// plan SQLite chooses for FerretDB's lookup by `_id`.
package main

import (
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// idExpr is FerretDB 1.24's metadata.IDColumn, the expression its queries filter `_id` by.
const idExpr = `_ferretdb_sjson->'$._id'`

// indexSuffix names our index apart from FerretDB's own `<table>_<index name>` indexes.
const indexSuffix = "__kehou_id"

type collection struct{ name, table string }

func main() {
	check := flag.Bool("check", false, "print the query plan of a lookup by _id instead of creating indexes")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: sqlite-index [--check] <path-to-db.sqlite> [collection ...]")
	}
	flag.Parse()
	if flag.NArg() < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), flag.Args()[1:], *check); err != nil {
		fmt.Fprintf(os.Stderr, "sqlite-index: %s: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
}

func run(file string, names []string, check bool) error {
	if _, err := os.Stat(file); err != nil {
		return err
	}
	// mode=rw: never create a database file FerretDB does not know about. The busy timeout
	// lets us wait for FerretDB, which has the same file open in WAL mode, to release its locks.
	dsn := "file:" + (&url.URL{Path: file}).EscapedPath() + "?mode=rw&_pragma=busy_timeout(30000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	colls, err := collections(db, names)
	if err != nil {
		return err
	}
	for _, c := range colls {
		if check {
			plan, err := queryPlan(db, c.table)
			if err != nil {
				return fmt.Errorf("collection %q: %w", c.name, err)
			}
			fmt.Printf("%s\t%s\t%s\n", c.name, c.table, plan)
			continue
		}
		created, err := ensureIndex(db, c.table)
		if err != nil {
			return fmt.Errorf("collection %q: %w", c.name, err)
		}
		if created != "" {
			fmt.Printf("created index %s on collection %s (table %s)\n", created, c.name, c.table)
		}
	}
	return nil
}

// collections reads FerretDB's own catalogue; a named collection missing from it is an error,
// because then there is no table to index.
func collections(db *sql.DB, names []string) ([]collection, error) {
	rows, err := db.Query(`SELECT name, table_name FROM _ferretdb_collections ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("not a FerretDB SQLite database? %w", err)
	}
	defer rows.Close()
	byName := map[string]collection{}
	var all []collection
	for rows.Next() {
		var c collection
		if err := rows.Scan(&c.name, &c.table); err != nil {
			return nil, err
		}
		byName[c.name] = c
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return all, nil
	}
	var picked []collection
	var missing []string
	for _, n := range names {
		if c, ok := byName[n]; ok {
			picked = append(picked, c)
		} else {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, errors.New("no such collection: " + strings.Join(missing, ", "))
	}
	return picked, nil
}

// ensureIndex returns the index name when it created the index, "" when it already existed.
func ensureIndex(db *sql.DB, table string) (string, error) {
	name := table + indexSuffix
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, name).Scan(&n); err != nil {
		return "", err
	}
	if n > 0 {
		return "", nil
	}
	// IF NOT EXISTS: another process may have created it since the check above.
	if _, err := db.Exec(fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (%s)`, quote(name), quote(table), idExpr)); err != nil {
		return "", err
	}
	return name, nil
}

// queryPlan explains the statement shape FerretDB runs for a filter that is exactly {_id: v}.
func queryPlan(db *sql.DB, table string) (string, error) {
	rows, err := db.Query(fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %s WHERE %s = ?`, quote(table), idExpr), `"x"`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var details []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			return "", err
		}
		details = append(details, detail)
	}
	return strings.Join(details, "; "), rows.Err()
}

func quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}
