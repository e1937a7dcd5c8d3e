package secrets_test

import (
	"testing"

	"github.com/accessvault/vinventory/internal/secrets"
)

func BenchmarkEncrypt(b *testing.B) {
	kr, _ := secrets.ParseKeyring("k:" + exampleKey)
	pt := []byte("a-typical-vcenter-password-123")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Encrypt(pt, "vc1.example.com"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	kr, _ := secrets.ParseKeyring("k:" + exampleKey)
	blob, _ := kr.Encrypt([]byte("a-typical-vcenter-password-123"), "vc1.example.com")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Decrypt(blob, "vc1.example.com"); err != nil {
			b.Fatal(err)
		}
	}
}
