package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestConfig_CheckSecrets(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"static with token", func(c *Config) { c.Auth.AccessToken = "t" }, nil},
		{"static without token", func(*Config) {},
			[]string{"auth.access_token_env: environment variable MCAWATCH_ACCESS_TOKEN is empty; set it to a Partner Center access token"}},
		{"refresh with secret", func(c *Config) { setRefresh(c); c.Auth.ClientSecret = "s" }, nil},
		{"refresh without secret", func(c *Config) { setRefresh(c); c.Auth.AccessToken = "t" },
			[]string{"auth.client_secret_env: environment variable MCAWATCH_CLIENT_SECRET is empty; set it to the Entra application's client secret"}},
		{"invalid name is not echoed", func(c *Config) { c.Auth.AccessTokenEnv = "eyJhbGciOi.secret" },
			[]string{"auth.access_token_env: environment variable (invalid name, see Validate) is empty; set it to a Partner Center access token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(&c)
			assertErrors(t, c.CheckSecrets(), tt.want)
		})
	}
}

func TestLoad_resolvesSecrets(t *testing.T) {
	c, err := Load("../testdata/config/refresh.yaml", env(map[string]string{
		"PC_CLIENT_SECRET":      "client-secret",
		"MCAWATCH_ACCESS_TOKEN": "access-token",
	}))
	if err != nil {
		t.Fatalf("Load()=%v", err)
	}
	if c.Auth.ClientSecret != "client-secret" || c.Auth.AccessToken != "access-token" {
		t.Fatalf("secrets not resolved from the environment variables the config names")
	}
	if err := c.CheckSecrets(); err != nil {
		t.Fatalf("CheckSecrets()=%v", err)
	}
	c, err = Load("../testdata/config/refresh.yaml", noEnv)
	if err != nil {
		t.Fatalf("Load() without secrets=%v; want the check left to CheckSecrets", err)
	}
	if err := c.CheckSecrets(); err == nil || !strings.Contains(err.Error(), "PC_CLIENT_SECRET is empty") {
		t.Fatalf("CheckSecrets()=%v, want it to name PC_CLIENT_SECRET", err)
	}
}

// TestLoad_secretsNeverInErrors loads every fixture with every variable set
// to a secret-looking value and checks that no error quotes it.
func TestLoad_secretsNeverInErrors(t *testing.T) {
	const secret = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2VuLXZhbHVl.sig"
	getenv := func(name string) string {
		if name == EnvConfig {
			return ""
		}
		return secret
	}
	files, err := filepath.Glob("../testdata/config/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	valid, err := filepath.Glob("../testdata/config/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(files, valid...) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f, getenv)
			if err != nil && strings.Contains(err.Error(), "c2VjcmV0") {
				t.Fatalf("Load(%s) error shows a secret: %v", f, err)
			}
			if err == nil {
				if err := c.CheckSecrets(); err != nil {
					t.Fatalf("CheckSecrets()=%v with every variable set", err)
				}
				c.Fetch.Concurrency = 0
				c.PartnerCenter.BaseURL = "http://example.com"
				if err := c.Validate(); err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
					t.Fatalf("Validate()=%v: want an error without the secret", err)
				}
			}
		})
	}
}
