package sim

// Binding says how fnprobe's driver for an emulated API is aimed at the
// emulator (`fnprobe run -emulate`): the credential blocks the API
// accepts, and the attributes of the driver's provider block that receive
// the emulator's URL and each part of one of those credentials. An empty
// attribute name means the driver has no such attribute.
type Binding struct {
	// Credential is the label of the credential blocks the API accepts,
	// e.g. "alicloud" for both FC APIs.
	Credential string
	// Endpoint receives the emulator's base URL: the driver appends the
	// API's own paths (Provider.Patterns) to it.
	Endpoint string
	// AccessKeyID, Secret and SecurityToken receive an access-key
	// credential; Token a token credential.
	AccessKeyID, Secret, SecurityToken, Token string
	// ProjectID and Region receive the credential's scope, when the
	// provider block leaves them unset.
	ProjectID, Region string
	// STSEndpoint receives "https://" + the emulator's host + STSPath,
	// whatever the block says, so that a credential chain that reaches
	// for an STS reaches only the emulator's (it speaks http: a driver
	// whose library insists on https fails there, on loopback).
	STSEndpoint, STSPath string
	// Chain are the attributes that choose a credential chain (a
	// profile, a role to assume): Aim clears them, as the emulator's
	// credential stands for the whole chain.
	Chain []string
	// Endpoints are more endpoint attributes, each receiving the
	// emulator's URL followed by the path given (the aws_lambda driver's
	// sts_endpoint receives URL/aws/sts), whatever the block says.
	Endpoints map[string]string
}

// Bound is implemented by a Provider whose fnprobe driver can be aimed at
// the emulator.
type Bound interface {
	Binding() Binding
}
