package notify

import (
	"sort"
	"strings"
)

// redacted stands where a secret was.
const redacted = "[redacted]"

// redact replaces every non-empty secret in s, longest first so a secret
// that contains another is removed whole.
func redact(s string, secrets ...string) string {
	list := make([]string, 0, len(secrets))
	for _, x := range secrets {
		if x != "" {
			list = append(list, x)
		}
	}
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	for _, x := range list {
		s = strings.ReplaceAll(s, x, redacted)
	}
	return s
}
