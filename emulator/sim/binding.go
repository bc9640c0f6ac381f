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
	// Chain are the attributes that choose a credential chain (a
	// profile, a role to assume): Aim clears them, as the emulator's
	// credential stands for the whole chain.
	Chain []string
	// Endpoints are more endpoint attributes (an STS's), each receiving
	// the emulator's URL followed by its path, whatever the block says, so
	// that a credential chain that reaches for an STS reaches only the
	// emulator's: the aws_lambda driver's sts_endpoint receives
	// URL/aws/sts.
	Endpoints map[string]EndpointPath
}

// EndpointPath is where an endpoint attribute points in the emulator:
// Path below its URL. With HTTPS the URL's scheme is https although the
// emulator speaks http: a driver whose library insists on https then
// fails there, on loopback, instead of reaching any other host.
type EndpointPath struct {
	Path  string
	HTTPS bool
}

// Bound is implemented by a Provider whose fnprobe driver can be aimed at
// the emulator.
type Bound interface {
	Binding() Binding
}
