package migrate

// Apply and LoadFS expose the internals to the external tests.
var (
	Apply  = apply
	LoadFS = load
)
