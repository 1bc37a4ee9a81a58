package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"wangge/internal/store"
)

// userCmd: wangge user add --username U --role R [--unit CODE] [--can-unmask]
// The password comes from WANGGE_USER_PASSWORD or the first line of stdin,
// never from the command line (where ps would show it).
func userCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError{fmt.Errorf("usage: wangge user add --username U --role admin|planner|officer|leader|auditor [--unit CODE] [--can-unmask]")}
	}
	var u store.NewUser
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&u.Username, "username", "", "login name")
	fs.StringVar(&u.Role, "role", "", "admin, planner, officer, leader or auditor")
	fs.StringVar(&u.Unit, "unit", "", "unit code the user works in (empty: everywhere)")
	fs.StringVar(&u.DisplayName, "name", "", "display name")
	fs.BoolVar(&u.CanUnmask, "can-unmask", false, "leaders: may see personal details (with a logged reason)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	if u.Username == "" || u.Role == "" {
		return usageError{fmt.Errorf("--username and --role are required")}
	}
	u.Password = os.Getenv("WANGGE_USER_PASSWORD")
	if u.Password == "" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return usageError{fmt.Errorf("give the password in WANGGE_USER_PASSWORD or on standard input")}
		}
		u.Password = strings.TrimRight(line, "\r\n")
	}
	pool, err := openConfigured(ctx, stderr)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	id, err := st.PutUser(ctx, pool, u)
	if err != nil {
		return err
	}
	if err := st.Audit(ctx, nil, store.AuditEntry{Username: "cli", Role: "admin", Action: "user_put", ObjectType: "user", ObjectID: u.Username}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s (id %d, role %s) saved\n", u.Username, id, u.Role)
	return nil
}
