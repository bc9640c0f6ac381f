package tencent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/fnprobe/fnprobe/limits"
	"github.com/fnprobe/fnprobe/providers"
	"github.com/zclconf/go-cty/cty"
)

// EnvAccessTokenFile names a file holding the token, for CI systems that
// write a rotated token to a file. CloudBase's own tools have no such
// convention (their CLI logs in with Tencent Cloud API keys): the name is
// fnprobe's.
const EnvAccessTokenFile = "TCB_ACCESS_TOKEN_FILE"

// TokenFileLimit bounds the token file: a CloudBase access token (a JWT)
// or API key is a few kilobytes at most.
const TokenFileLimit = 64 << 10

// errNoToken is a provider block for which no source yields a token.
var errNoToken = errors.New("no access token")

// tokenSource is where a provider block's token comes from.
type tokenSource struct {
	label string // what plan shows
	token string // the token itself, when known without reading a file
	file  string // the token file, read at each attempt
	block bool   // the token is the block's access_token (already a secret)
}

func (d *Driver) getenv(name string) string {
	if d.Getenv != nil {
		return d.Getenv(name)
	}
	return os.Getenv(name)
}

// locate picks the token's source, in order: access_token (even with
// access_token_file), then access_token_file in the provider block, then
// TCB_ACCESS_TOKEN, then TCB_ACCESS_TOKEN_FILE.
func (d *Driver) locate(p cty.Value) (tokenSource, error) {
	switch tok, file := providers.String(p, "access_token"), providers.String(p, "access_token_file"); {
	case tok != "":
		// It wins over access_token_file too: run -emulate fills it in.
		return tokenSource{label: "provider block", token: tok, block: true}, nil
	case file != "":
		return tokenSource{label: "token file " + file + " (access_token_file)", file: file}, nil
	}
	if tok := d.getenv(EnvAccessToken); tok != "" {
		return tokenSource{label: "environment (" + EnvAccessToken + ")", token: tok}, nil
	}
	if file := d.getenv(EnvAccessTokenFile); file != "" {
		return tokenSource{label: "token file " + file + " (" + EnvAccessTokenFile + ")", file: file}, nil
	}
	return tokenSource{}, fmt.Errorf("%w: set access_token or access_token_file in the provider block, or %s or %s", errNoToken, EnvAccessToken, EnvAccessTokenFile)
}

// readTokenFile reads a token file: a regular file of at most
// TokenFileLimit bytes (a FIFO, a device or a directory is refused without
// being read), holding one non-empty line; surrounding white space (the
// trailing newline an editor or `echo` adds) is trimmed.
func readTokenFile(ctx context.Context, path string) (string, error) {
	b, err := limits.ReadFile(ctx, path, TokenFileLimit)
	if err != nil {
		if ctx.Err() != nil {
			return "", context.Cause(ctx)
		}
		return "", fmt.Errorf("token file %s: %s", path, limits.Reason(err))
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("token file %s is empty", path)
	}
	for _, c := range tok {
		if c < ' ' || c == 0x7f {
			return "", fmt.Errorf("token file %s holds more than one line, or control characters: it must hold the token alone", path)
		}
	}
	return tok, nil
}

// CredentialSource implements providers.CredentialSourcer: it names the
// token's source and, for a token file, checks that the file can be read
// (it never shows the token).
func (d *Driver) CredentialSource(ctx context.Context, p cty.Value) (string, error) {
	src, err := d.locate(p)
	if err != nil {
		return "", err
	}
	if src.file != "" {
		if _, err := readTokenFile(ctx, src.file); err != nil {
			return src.label, err
		}
	}
	return src.label, nil
}

// token resolves a provider block's token. A token file is read anew at
// every attempt, so that a token a CI system rotates is picked up; what it
// holds is handed to req.AddSecrets.
func (d *Driver) token(ctx context.Context, req *providers.Request) (string, error) {
	src, err := d.locate(req.Provider)
	if err != nil {
		return "", providers.Permanent(fmt.Errorf("%s: %w", Type, err), providers.ConfigHint)
	}
	if src.file == "" {
		if !src.block {
			req.AddSecrets(src.token)
		}
		return src.token, nil
	}
	tok, err := readTokenFile(ctx, src.file)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("%s: %w", Type, err)
		}
		return "", providers.Permanent(fmt.Errorf("%s: %w", Type, err), providers.ConfigHint)
	}
	req.AddSecrets(tok)
	return tok, nil
}
