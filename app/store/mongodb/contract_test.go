package mongodb_test

import (
	"testing"

	"kynangso/app/store"
	"kynangso/app/store/mongodb/ferrettest"
	"kynangso/app/store/storetest"
)

func TestMain(m *testing.M) { ferrettest.Main(m) }

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return ferrettest.Database(t) })
}
