package demo

import (
	"context"
	"fmt"

	"wangge/internal/auth"
)

const upsertDemoUserSQL = `
INSERT INTO users (username, password_hash, role, unit_code, display_name, can_unmask)
VALUES ($1, $2, $3, nullif($4, ''), $5, false)
ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role,
    unit_code = EXCLUDED.unit_code, display_name = EXCLUDED.display_name, disabled = false,
    failed_logins = 0, locked_until = NULL`

const firstUnitSQL = `SELECT code FROM units WHERE region_code = $1 AND level = $2 ORDER BY code LIMIT 1`

// users creates one account per role, named after the role: admin and auditor
// everywhere, the planner over the first street, the officer on the first
// grid, the leader over the district (personal details masked).
func (l *loader) users(ctx context.Context) error {
	if l.opt.Password == "" {
		return nil
	}
	scope := map[auth.Role]int{auth.Planner: 2, auth.Officer: 4, auth.Leader: 1}
	names := map[auth.Role]string{
		auth.Admin: "系统管理员", auth.Planner: "规划员", auth.Officer: "网格员",
		auth.Leader: "街道领导", auth.Auditor: "审计员",
	}
	for _, role := range auth.Roles {
		var unit string
		if level, ok := scope[role]; ok {
			if err := l.tx.QueryRow(ctx, firstUnitSQL, l.opt.Region, level).Scan(&unit); err != nil {
				return fmt.Errorf("user %s: %w", role, err)
			}
		}
		hash, err := auth.HashPassword(l.opt.Password)
		if err != nil {
			return fmt.Errorf("demo password: %w", err)
		}
		if _, err := l.tx.Exec(ctx, upsertDemoUserSQL, string(role), hash, string(role), unit, names[role]); err != nil {
			return fmt.Errorf("user %s: %w", role, err)
		}
	}
	return nil
}
