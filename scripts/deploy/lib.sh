# shellcheck shell=bash
# Helpers shared by scripts/deploy.sh and scripts/setup-source.sh (sourced, not run).
#
# Every command that changes something goes through `run`: it prints the command, shell-quoted so the
# printed line can be pasted back into a shell, and executes it unless DRY_RUN=true. So `--dry-run`
# prints exactly what a real run would do, and a real run leaves a transcript of what it did.
# Read-only look-ups (does this service account exist? what is the project number?) go through `probe`
# and `lookup`: they are not printed and do not run in a dry run, where every resource counts as absent.

DRY_RUN=false

# Usage errors: say what is wrong and how to get help, exit 2 (the CLI's usage-error code).
usage_error() {
  printf '%s: %s\n' "$SCRIPT_NAME" "$1" >&2
  printf "Run '%s --help' for the options.\n" "$SCRIPT_NAME" >&2
  exit 2
}

# Failures of the environment (a missing tool, an unreadable file): exit 1.
fail() {
  printf '%s: %s\n' "$SCRIPT_NAME" "$1" >&2
  exit 1
}

# The value of an option given as `--name value` or `--name=value`; $1 is the option, $2 the next word.
option_value() {
  local option=$1 next=${2-}
  if [[ $option == *=* ]]; then
    printf '%s' "${option#*=}"
  elif [[ -n $next && $next != --* ]]; then
    printf '%s' "$next"
  else
    usage_error "option ${option} needs a value"
  fi
}

# How many words an option took: 1 for --name=value, 2 for --name value.
option_width() {
  if [[ $1 == *=* ]]; then printf 1; else printf 2; fi
}

# The argument loop both scripts share. The script defines `usage` and `take_option`: take_option gets
# the remaining words, sets the variable of the option in $1 and, for a valued option, sets TAKEN to
# `option_width "$1"` (a flag returns early, leaving it at 1); an option it does not know is `unknown_option "$1"`.
# (Called plainly, not in an `if` or `||`, so that `set -e` still stops at an option missing its value.)
# --dry-run and -h/--help are the same everywhere and handled here.
TAKEN=1
parse_arguments() {
  while (($# > 0)); do
    case $1 in
      --dry-run)
        DRY_RUN=true
        shift
        continue
        ;;
      -h | --help)
        usage
        exit 0
        ;;
    esac
    TAKEN=1
    take_option "$@"
    shift "$TAKEN"
  done
}

unknown_option() {
  usage_error "unknown argument: $1"
}

require() {
  local value=$1 option=$2 variable=$3
  if [[ -z $value ]]; then
    usage_error "${option} is required (or set ${variable})"
  fi
}

# One word as the shell must see it: bare when it is plain, single-quoted otherwise.
shell_quote() {
  local word=$1 plain='^[A-Za-z0-9_@%+=:,./-]+$'
  if [[ $word =~ $plain ]]; then
    printf '%s' "$word"
  else
    printf "'%s'" "${word//\'/\'\\\'\'}"
  fi
}

print_command() {
  local line='' word
  for word in "$@"; do
    line+="${line:+ }$(shell_quote "$word")"
  done
  printf '%s\n' "$line"
}

step() {
  printf '\n# === %s\n' "$1"
}

note() {
  printf '# %s\n' "$1"
}

run() {
  print_command "$@"
  if [[ $DRY_RUN == false ]]; then
    "$@"
  fi
}

# Like run, for creates that gcloud cannot make conditional: an "already exists" answer counts as done.
run_create() {
  print_command "$@"
  if [[ $DRY_RUN == true ]]; then
    return 0
  fi
  local output
  if output=$("$@" 2>&1); then
    [[ -z $output ]] || printf '%s\n' "$output"
  elif grep -qiE 'already exists|ALREADY_EXISTS' <<<"$output"; then
    note 'already exists: left as it is'
  else
    printf '%s\n' "$output" >&2
    return 1
  fi
}

# True when a read-only command succeeds; always false in a dry run (resources count as absent).
probe() {
  [[ $DRY_RUN == false ]] || return 1
  "$@" >/dev/null 2>&1
}

# The output of a read-only command, or $1 (a placeholder) in a dry run.
lookup() {
  local placeholder=$1
  shift
  if [[ $DRY_RUN == true ]]; then
    printf '%s' "$placeholder"
  else
    "$@"
  fi
}

# Writes a file (a config gcloud reads) and prints it as a here-document, so a dry run shows its content
# and its output stays a complete script.
write_file() {
  local path=$1 content=$2
  printf "cat > %s <<'EOF'\n%s\nEOF\n" "$(shell_quote "$path")" "$content"
  if [[ $DRY_RUN == false ]]; then
    printf '%s\n' "$content" >"$path"
  fi
}

require_tool() {
  command -v "$1" >/dev/null 2>&1 || fail "$1 is not on PATH ($2)"
}
