package providers

// Reproducer is implemented by drivers that can say how to make a request
// again with the cloud's own command-line tool (the AWS CLI's `lambda
// invoke`, `aliyun fc`, KooCLI, `tcb fn invoke`, curl ...), so that a
// failed invocation's diagnostic can end with a command people paste into
// a shell.
//
// Repro returns the command as words (an argv), never as shell text: the
// caller quotes them for a POSIX shell and replaces every secret in them by
// a reference to the environment variable it can come from. Credentials
// the tool reads from its own configuration or environment
// (AWS_ACCESS_KEY_ID ...) are left out of the words. ok is false when the
// driver cannot express the request with the tool; the caller then prints
// no command, only the rerun line.
type Reproducer interface {
	Repro(req *Request, payload ReproPayload) (r Repro, ok bool)
}

// ReproPayload says how a repro command may refer to the request's
// payload.
type ReproPayload struct {
	// File is the path of the file holding the payload (as ReproFiler
	// made it, else req.Payload as is). When none could be written, it is
	// a placeholder the user makes, and the caller says so.
	File string
	// Inline says req.Payload may be given on the command line as is
	// instead: no file was written, and the payload is small, printable
	// text without a secret. A driver whose tool cannot take it inline
	// (or would read a file for it) uses File.
	Inline bool
}

// Repro is a command that makes a request again.
type Repro struct {
	// Tool names the command-line tool, for people: "AWS CLI", "curl".
	Tool string
	// Doc is the tool's documentation for the command, a URL.
	Doc string
	// Dir is the directory to run the command in ("" the current one).
	Dir string
	// Env are variable assignments the command runs with ("NAME=VALUE").
	Env []string
	// Args is the command line. A word equal to ReproFileText stands for
	// the payload as one argument: inline when allowed, else the file's
	// content (the shell's "$(cat FILE)").
	Args []string
	// Stdin says the command reads the payload on its standard input: the
	// caller redirects it from ReproPayload.File, or pipes the inline
	// payload into it.
	Stdin bool
	// Note is a caveat for people ("tcb has no endpoint option ..."), ""
	// for none.
	Note string
}

// ReproFileText is the word of Repro.Args that stands for the content of
// the payload file. It holds a NUL byte, which no real argument can.
const ReproFileText = "\x00payload-file-text\x00"

// ReproFiler is implemented by Reproducers whose tool reads the payload
// from a file in a form of its own (KooCLI's --cli-jsonInput wraps the
// body in an object). ReproFile returns the file's content for payload,
// or an error saying why the payload cannot be given that way.
type ReproFiler interface {
	ReproFile(payload []byte) ([]byte, error)
}
