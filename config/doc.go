// Package config reads and validates mcawatch's YAML configuration file and
// the environment variables that carry its secrets, and returns a plain
// Config value.
//
// The flow follows litestream: Default gives the built-in settings, Parse
// overlays a file on them strictly (unknown keys, duplicate keys and wrong
// types are errors naming the file, line and key), Validate checks every
// value and reports all problems at once, and Load ties these together with
// file discovery, secret resolution and path resolution.
//
// The package must never import other mcawatch packages, talk to the
// network, log, or exit; it must never put a secret value (a token, a client
// secret) into an error string, and it never reads secrets from the file:
// the file holds only the names of the environment variables that carry them.
package config
