package store

import "context"

// Steps let tests cut a workflow short between any two of its writes, as
// a crash or a lost connection would, and show that the next try finishes
// it. Backends and workflows call Step after each write that another
// write follows; in production no hook is set and Step costs a context
// lookup.

type stepKey struct{}

// StepHook is told each step's name; an error it returns is returned by
// Step, and the caller stops there.
type StepHook func(name string) error

// WithStepHook returns ctx with hook called at every Step.
func WithStepHook(ctx context.Context, hook StepHook) context.Context {
	return context.WithValue(ctx, stepKey{}, hook)
}

// Step marks that the write named name is done and another follows.
func Step(ctx context.Context, name string) error {
	if hook, ok := ctx.Value(stepKey{}).(StepHook); ok && hook != nil {
		return hook(name)
	}
	return nil
}
