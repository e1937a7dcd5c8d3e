package config_test

import (
	"path/filepath"
	"testing"

	"github.com/accessvault/vinventory/internal/config"
)

func BenchmarkLoadExample(b *testing.B) {
	path := filepath.Join("..", "..", "examples", "daemon", "vinventory.example.yaml")
	env := config.MapEnv(map[string]string{"VINVENTORY_HTTP_LISTEN": ":9090"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := config.Load(path, env); err != nil {
			b.Fatal(err)
		}
	}
}
