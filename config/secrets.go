package config

// CheckSecrets reports, as a *FieldError, a secret that the current auth
// mode needs and that Load found empty in the environment: the access token
// in static mode, the client secret in refresh mode. The message names the
// environment variable, never a value. main calls it only for commands
// that talk to Partner Center.
func (c Config) CheckSecrets() error {
	p := &problems{file: c.Path}
	if c.Auth.Mode() == ModeRefresh {
		if c.Auth.ClientSecret == "" {
			p.add(c.Line("auth.client_secret_env"), "auth.client_secret_env",
				"environment variable %s is empty; set it to the Entra application's client secret", safeEnvName(c.Auth.ClientSecretEnv))
		}
	} else if c.Auth.AccessToken == "" {
		p.add(c.Line("auth.access_token_env"), "auth.access_token_env",
			"environment variable %s is empty; set it to a Partner Center access token", safeEnvName(c.Auth.AccessTokenEnv))
	}
	return p.err()
}

// safeEnvName is name when it looks like a variable name, and a placeholder
// otherwise: a value that is not a name may be a pasted secret.
func safeEnvName(name string) string {
	if envName.MatchString(name) {
		return name
	}
	return "(invalid name, see Validate)"
}
