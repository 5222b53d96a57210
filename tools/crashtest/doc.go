// Package crashtest holds a test that builds the program, runs it as a
// child process on a data folder, drives sign-ups, lessons and quiz
// submissions from many browser-like clients, kills it with SIGKILL at
// random moments, restarts it on the same data and checks that every
// acknowledged write survived and nothing is left stuck.
//
// It runs only when asked (it builds the binary and takes about a minute):
//
//	KNS_CRASH_TEST=1 go test -count=1 -v ./tools/crashtest
//
// KNS_CRASH_CYCLES (3), KNS_CRASH_CLIENTS (16) and KNS_CRASH_CYCLE (10s)
// change its size.
package crashtest
