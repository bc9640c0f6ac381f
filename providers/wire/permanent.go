package wire

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"

	"github.com/fnprobe/fnprobe/providers"
)

// Classify marks a transport error (from http.Client.Do) that retrying
// cannot heal as providers.Permanent, with a hint; any other error is
// returned as is. Permanent:
//
//   - an https endpoint that answers plain HTTP;
//   - a TLS certificate the client does not trust (unknown authority,
//     wrong host name, expired or otherwise invalid);
//   - a host name that does not exist (DNS "no such host").
//
// Not permanent, so retried per the retry policy: refused or reset
// connections and timeouts, which heal when a deploy or a restart ends, and
// DNS failures other than "no such host" (a resolver timing out).
func Classify(err error) error {
	if err == nil || providers.IsPermanent(err) != nil {
		return err
	}
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return providers.Permanent(err, "The endpoint speaks plain HTTP: write http:// instead of https:// in its URL.")
	}
	var (
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalid     x509.CertificateInvalidError
		verify      *tls.CertificateVerificationError
		dns         *net.DNSError
	)
	switch {
	case errors.As(err, &hostErr):
		return providers.Permanent(err, "The server's certificate is not valid for this host name: check the host in the URL or endpoint.")
	case errors.As(err, &unknownAuth), errors.As(err, &invalid), errors.As(err, &verify):
		return providers.Permanent(err, "The server's TLS certificate is not trusted: fix the certificate, or add its authority to the system's trust store (SSL_CERT_FILE).")
	case errors.As(err, &dns) && dns.IsNotFound:
		return providers.Permanent(err, "The host name does not exist: check the host in the URL or endpoint.")
	}
	return err
}
