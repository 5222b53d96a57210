package web_test

import (
	"testing"

	"kynangso/app/testrig"
)

func TestMain(m *testing.M) { testrig.Main(m) }
