package config

import (
	"fmt"
	"slices"
	"strings"
)

// unknownKey says that key is not one of known, suggesting the closest
// known key when there is a plausible one.
func unknownKey(key string, known map[string]int) string {
	if key == "<<" {
		return "unknown key (YAML merge keys are not supported; repeat the values)"
	}
	if _, ok := known[key+"_env"]; ok {
		return fmt.Sprintf("unknown key (secrets are not read from the file: set %s_env to the name of an environment variable)", key)
	}
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	slices.Sort(names)
	best, bestDist := "", 0
	for _, k := range names {
		d := editDistance(strings.ToLower(key), k)
		if best == "" || d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" && bestDist <= max(1, len(best)/4) {
		return fmt.Sprintf("unknown key (did you mean %s?)", best)
	}
	return fmt.Sprintf("unknown key (known keys: %s)", strings.Join(names, ", "))
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
