package main

import (
	"context"
	"flag"
	"fmt"
	"runtime/debug"
	"strings"
)

// stampedVersion, when a release build sets it (-ldflags
// "-X main.stampedVersion=v1.2.3"), wins over the build info.
var stampedVersion string

// buildVersion is the version this binary was built as: the module version
// "go install …@v1.2.3" records, or for a build from a checkout "devel",
// with the commit and "-dirty" when the build recorded them. It is sent as
// MS-PartnerCenter-Application: mcawatch/<version>, so it has no spaces.
func buildVersion() string {
	if stampedVersion != "" {
		return stampedVersion
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	v := "devel"
	vcs := buildSettings(bi)
	if rev := vcs["vcs.revision"]; rev != "" {
		v += "-" + rev[:min(12, len(rev))]
	}
	if vcs["vcs.modified"] == "true" {
		v += "-dirty"
	}
	return v
}

// buildSettings are bi's settings by key.
func buildSettings(bi *debug.BuildInfo) map[string]string {
	out := make(map[string]string, len(bi.Settings))
	for _, s := range bi.Settings {
		out[s.Key] = s.Value
	}
	return out
}

// versionText is what "mcawatch version" prints: the version, and for a
// build from a checkout the commit, its time and whether the tree had
// changes, when the build recorded them (-buildvcs).
func versionText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mcawatch %s\n", version)
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b.String()
	}
	vcs := buildSettings(bi)
	for _, k := range []string{"vcs.revision", "vcs.time", "vcs.modified"} {
		if v := vcs[k]; v != "" {
			fmt.Fprintf(&b, "%s: %s\n", strings.TrimPrefix(k, "vcs."), v)
		}
	}
	fmt.Fprintf(&b, "go: %s\n", bi.GoVersion)
	return b.String()
}

// runVersion is "mcawatch version" and "mcawatch --version".
func (m *Main) runVersion(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	_, err := fmt.Fprint(m.Stdout, versionText())
	return err
}
