package config

import (
	"net"
	"strconv"
)

// Serve configures what "mcawatch serve" offers besides its schedule.
type Serve struct {
	// Listen is the host:port of the /healthz and /metrics endpoint
	// (e.g. 127.0.0.1:9464); empty serves neither.
	Listen string `yaml:"listen"`
}

func (c Config) validateServe(p *problems) {
	if c.Serve.Listen == "" {
		return
	}
	line, field := c.Line("serve.listen"), "serve.listen"
	_, port, err := net.SplitHostPort(c.Serve.Listen)
	if err != nil {
		p.add(line, field, "want host:port such as 127.0.0.1:9464, got %q", shorten(c.Serve.Listen))
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.add(line, field, "port %q is not a number from 0 to 65535", shorten(port))
	}
}
