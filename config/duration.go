package config

import (
	"errors"
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written in YAML as Go duration text ("30s",
// "2m", "1m30s"). A bare number is refused: its unit would be a guess.
type Duration struct{ time.Duration }

// UnmarshalYAML reads duration text from a scalar node.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("must be a duration like 30s or 2m")
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("must be a duration like 30s or 2m, got %q", shorten(n.Value))
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration as text, so a marshalled Config reads back.
func (d Duration) MarshalYAML() (any, error) {
	return d.String(), nil
}
