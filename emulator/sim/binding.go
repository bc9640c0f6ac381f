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

// Auxiliary is implemented by a Provider that serves no function but a
// service the clouds' credential chains call (AWS STS, container
// credentials, instance metadata): no driver is aimed at it, so it has no
// Binding.
type Auxiliary interface {
	Auxiliary()
}
