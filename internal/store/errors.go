package store

import (
	"errors"
	"fmt"

	"wangge/internal/apperr"
)

// txError is what a write transaction returns: a refusal the store made
// itself (an apperr, whose message the client reads) as it is, anything
// else wrapped with what was being written.
func txError(err error, what string) error {
	var ae *apperr.Error
	if err == nil || errors.As(err, &ae) {
		return err
	}
	return fmt.Errorf("store: %s: %w", what, err)
}
