package config

import (
	"strings"
	"testing"
)

func TestConfig_Validate_ServeListen(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unset serves nothing", "", nil},
		{"loopback and port", "serve:\n  listen: 127.0.0.1:9464\n", nil},
		{"any host", "serve:\n  listen: :9464\n", nil},
		{"no port", "serve:\n  listen: localhost\n", []string{`c.yaml:2: serve.listen: want host:port such as 127.0.0.1:9464, got "localhost"`}},
		{"port not a number", "serve:\n  listen: localhost:http\n", []string{`c.yaml:2: serve.listen: port "http" is not a number from 0 to 65535`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.yaml), "c.yaml")
			if err == nil {
				err = c.Validate()
			}
			assertErrors(t, err, tt.want)
		})
	}
}
