package cli

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/fnprobe/fnprobe/executor"
	"github.com/fnprobe/fnprobe/planner"
	"github.com/fnprobe/fnprobe/spec"
)

// completeCommandName is the hidden command the completion scripts call,
// as cobra's __complete: `fnprobe __complete targets [FLAGS] [PATH ...]`
// prints the invocation addresses of the suite the command line names.
const completeCommandName = "__complete"

// fileFlags take a file name; valueFlags take another value.
var (
	fileFlags  = []string{"var-file", "junit", "json-out", "config", "report-markdown", "repro-dir"}
	valueFlags = []string{"var", "tag", "parallelism", "timeout", "listen", "every", "shutdown-timeout", "log-format", "name", "shard", "ci"}
)

// completionCommand runs `fnprobe completion bash|zsh|fish`.
func completionCommand(args []string, env Env) int {
	fs := newFlagSet("completion", env)
	if err := fs.Parse(args); err != nil {
		return flagError(err, "completion", fs, env)
	}
	shell := fs.Arg(0)
	if fs.NArg() != 1 || shell != "bash" && shell != "zsh" && shell != "fish" {
		fmt.Fprintf(env.Stderr, "fnprobe completion: expected one shell, bash, zsh or fish\nRun \"fnprobe help completion\" for its usage.\n")
		return executor.ExitConfig
	}
	flags := map[string][]string{}
	for _, cmd := range commandNames {
		if fs := commandFlags(cmd, env); fs != nil {
			fs.VisitAll(func(f *flag.Flag) { flags[cmd] = append(flags[cmd], "-"+f.Name) })
		}
	}
	switch shell {
	case "bash":
		writeBashCompletion(env.Stdout, flags)
	case "zsh":
		writeZshCompletion(env.Stdout, flags)
	case "fish":
		writeFishCompletion(env.Stdout, env)
	}
	return executor.ExitOK
}

// shellCases renders one `case` branch per command listing its flags,
// in the syntax of bash and zsh.
func shellCases(flags map[string][]string, assign string) string {
	var cmds []string
	for cmd := range flags {
		cmds = append(cmds, cmd)
	}
	sort.Strings(cmds)
	var b strings.Builder
	for _, cmd := range cmds {
		fmt.Fprintf(&b, "    %s) %s\"%s\" ;;\n", cmd, assign, strings.Join(flags[cmd], " "))
	}
	return b.String()
}

func flagPattern(names []string) string {
	var p []string
	for _, n := range names {
		p = append(p, "-"+n, "--"+n)
	}
	return strings.Join(p, "|")
}

func writeBashCompletion(w io.Writer, flags map[string][]string) {
	fmt.Fprintf(w, `# bash completion for fnprobe: source <(fnprobe completion bash)
_fnprobe() {
  local cur prev cmd flags
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  cmd="${COMP_WORDS[1]}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "%s" -- "$cur"))
    return
  fi
  case "$cmd" in
    help) COMPREPLY=($(compgen -W "%s" -- "$cur")); return ;;
    completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")); return ;;
    report) if [[ $COMP_CWORD -eq 2 ]]; then COMPREPLY=($(compgen -W "merge" -- "$cur")); return; fi ;;
  esac
  case "$prev" in
    -target|--target)
      local IFS=$'\n' t
      COMPREPLY=()
      for t in $(fnprobe %s targets "${COMP_WORDS[@]:2:COMP_CWORD-3}" 2>/dev/null); do
        [[ "$t" == "$cur"* ]] && COMPREPLY+=("$t")
      done
      return ;;
    %s) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    %s) return ;;
  esac
  case "$cmd" in
%s  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _fnprobe fnprobe
`, strings.Join(commandNames, " "), strings.Join(commandNames, " "), completeCommandName,
		flagPattern(fileFlags), flagPattern(valueFlags), shellCases(flags, "flags="))
}

func writeZshCompletion(w io.Writer, flags map[string][]string) {
	fmt.Fprintf(w, `#compdef fnprobe
# zsh completion for fnprobe: fnprobe completion zsh > "${fpath[1]}/_fnprobe"
_fnprobe() {
  local -a cmds targets
  local cmd flags
  cmds=(%s)
  if (( CURRENT == 2 )); then
    compadd -a cmds
    return
  fi
  cmd=${words[2]}
  case $cmd in
    help) compadd -a cmds; return ;;
    completion) compadd bash zsh fish; return ;;
    report) if (( CURRENT == 3 )); then compadd merge; return; fi ;;
  esac
  case ${words[CURRENT-1]} in
    -target|--target)
      targets=("${(@f)$(fnprobe %s targets ${words[3,CURRENT-2]} 2>/dev/null)}")
      compadd -a targets
      return ;;
    %s) _files; return ;;
    %s) return ;;
  esac
  case $cmd in
%s  esac
  if [[ $PREFIX == -* ]]; then
    compadd -- ${=flags}
  else
    _files
  fi
}
if [ "$funcstack[1]" = "_fnprobe" ]; then
  _fnprobe "$@"
else
  compdef _fnprobe fnprobe
fi
`, strings.Join(commandNames, " "), completeCommandName,
		flagPattern(fileFlags), flagPattern(valueFlags), shellCases(flags, "flags="))
}

func writeFishCompletion(w io.Writer, env Env) {
	fmt.Fprintf(w, `# fish completion for fnprobe: fnprobe completion fish > ~/.config/fish/completions/fnprobe.fish
function __fnprobe_targets
    set -l words (commandline -opc)
    fnprobe %s targets $words[3..-1] 2>/dev/null
end
complete -c fnprobe -f
`, completeCommandName)
	for _, cmd := range commandNames {
		fmt.Fprintf(w, "complete -c fnprobe -n __fish_use_subcommand -a %s -d %s\n", cmd, fishQuote(firstLine(commandHelps[cmd].about)))
	}
	fmt.Fprintf(w, "complete -c fnprobe -n '__fish_seen_subcommand_from help' -a '%s'\n", strings.Join(commandNames, " "))
	fmt.Fprintf(w, "complete -c fnprobe -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n")
	fmt.Fprintf(w, "complete -c fnprobe -n '__fish_seen_subcommand_from report; and not __fish_seen_subcommand_from merge' -a merge\n")
	for _, cmd := range commandNames {
		fs := commandFlags(cmd, env)
		if fs == nil {
			continue
		}
		cond := fmt.Sprintf("'__fish_seen_subcommand_from %s'", cmd)
		if cmd != "emulate" {
			fmt.Fprintf(w, "complete -c fnprobe -n %s -F\n", cond)
		}
		fs.VisitAll(func(f *flag.Flag) {
			_, usage := flag.UnquoteUsage(f)
			arg := ""
			switch {
			case f.Name == "target":
				arg = " -x -a '(__fnprobe_targets)'"
			case contains(fileFlags, f.Name):
				arg = " -r -F"
			case contains(valueFlags, f.Name):
				arg = " -x"
			}
			fmt.Fprintf(w, "complete -c fnprobe -n %s -o %s%s -d %s\n", cond, f.Name, arg, fishQuote(usage))
		})
	}
}

func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// completeCommand runs the hidden `fnprobe __complete targets ARGS...`:
// ARGS are the words typed after the command (its flags and PATHs, up to
// the -target being completed); it loads those suites quietly, as
// validate does, and prints every invocation address: invocation.NAME,
// and invocation.NAME["KEY"] for each instance of a for_each. It prints
// what it can and always exits 0: completion must never complain.
func completeCommand(args []string, env Env) int {
	if len(args) == 0 || args[0] != "targets" {
		return executor.ExitOK
	}
	args = args[1:]
	if n := len(args); n > 0 && (args[n-1] == "-target" || args[n-1] == "--target") {
		args = args[:n-1]
	}
	var f suiteFlags
	fs := newFlagSet("run", env)
	f.register(fs, "run")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return executor.ExitOK
	}
	seen := map[string]bool{}
	var addrs []string
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			addrs = append(addrs, a)
		}
	}
	for _, path := range paths {
		parser := spec.NewParser()
		cfg, diags := spec.Load(parser, path, spec.LoadOptions{Registry: env.Registry, Getenv: env.Getenv})
		if diags.HasErrors() {
			continue
		}
		vals, _ := cfg.VariableValues(parser, spec.VarOptions{Vars: f.vars, VarFiles: f.varFiles, AllowUnset: true})
		plan, _ := planner.Build(cfg, planner.Options{Registry: env.Registry, Vars: vals, Validate: true})
		if plan == nil {
			continue
		}
		for _, inst := range plan.Instances {
			add("invocation." + inst.Name)
			add(inst.Addr)
		}
	}
	sort.Strings(addrs)
	for _, a := range addrs {
		fmt.Fprintln(env.Stdout, a)
	}
	return executor.ExitOK
}
