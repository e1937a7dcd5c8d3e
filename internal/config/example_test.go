package config_test

import (
	"fmt"
	"strings"

	"github.com/accessvault/vinventory/internal/config"
)

func ExampleParse() {
	c, err := config.Parse(strings.NewReader(`
store: {driver: postgres, dsn: "postgres://inv:s3cret@db/inv"}
settings: {hourly_snapshot_concurrency: 0}
endpoints:
  - {name: vc1, url: "https://vc1/sdk", username: svc}
`), "vinventory.yaml")
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Validate())
	fmt.Println(c.Store)
	// Output:
	// vinventory.yaml:3: settings.hourly_snapshot_concurrency: must be at least 1, got 0
	// vinventory.yaml:5: endpoints[0]: one of password_env, password_file or password is required
	// postgres postgres://inv:xxxxx@db/inv
}

func ExampleLoad() {
	env := config.MapEnv(map[string]string{"VINVENTORY_HTTP_LISTEN": ":9090"})
	c, err := config.Load("", env) // no file: defaults + environment
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Store, c.HTTP.Listen, c.Settings.HourlySnapshotConcurrency)
	// Output: sqlite ./vinventory.db :9090 4
}
