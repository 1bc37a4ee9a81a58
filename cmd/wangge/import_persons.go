package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"wangge/internal/residents"
	"wangge/internal/store"
)

// importPersonsCmd is `wangge import persons FILE`: a register (.csv or
// .xlsx, the columns of POST /api/import/persons) checked and stored by
// residents.Import like the upload, by the operator of the server (every
// unit, every category), audited as cli:$USER. Any problem lists every one
// and stores nothing.
func importPersonsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return usageError{errors.New("usage: wangge import persons FILE (.csv or .xlsx; columns household_id, name, residence, id_number, phone, relation, categories, move_in)")}
	}
	file := args[0]
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	pool, err := openConfigured(ctx, stderr)
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := residents.Import(ctx, store.New(pool), residents.ImportRequest{
		Data: f, Filename: fi.Name(), Size: fi.Size(),
		Allow:   func(grid string) bool { return grid != "" },
		Granted: func(string) bool { return true },
		Audit:   store.AuditEntry{Username: "cli:" + os.Getenv("USER"), Action: "import", ObjectType: "persons", ObjectID: fi.Name()},
		Now:     time.Now(),
	})
	var rej *residents.Rejected
	if errors.As(err, &rej) {
		for _, p := range rej.Problems {
			fmt.Fprintf(stderr, "%s: row %d, %s: %s\n", file, p.Row, p.Column, p.Reason)
		}
		return fmt.Errorf("%d problems: nothing imported", len(rej.Problems))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d persons\n", n)
	return nil
}
