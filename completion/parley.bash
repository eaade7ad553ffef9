# parley.bash - bash completion for parley(1): commands, subcommands and
# each command's long options (as its --help prints them), with files,
# directories and fixed choices for option values.
# Installed as share/bash-completion/completions/parley.

_parley_commands="init identity key peer channel case report export audit import
	operator serve send ping inbox receipts outbox log status verify store demo version help"

# _parley_opts COMMAND: the long options COMMAND takes.
_parley_opts()
{
	case $1 in
	init) echo "--name --dir --listen --endpoint --store --protect --operator-listen --json" ;;
	identity | key | peer | ping | verify | status) echo "--dir --json" ;;
	channel) echo "--charter --template --dir --json" ;;
	case) echo "--type --subject --field --text --tlp --attach --from-stix --stix --out --peer
		--state --overdue --at --file --dir --json" ;;
	report) echo "--peer --from --to --by --type --reciprocity --format --json --at --dir" ;;
	export) echo "--audit --from --to --json --quiet --dir" ;;
	audit) echo "--reciprocity --by --type --from --to --format --json --at --quiet" ;;
	import) echo "--register --peer --dry-run --json --quiet --dir" ;;
	store) echo "--from --to --quiet --json --log --all --dir" ;;
	operator) echo "--role --dir --json" ;;
	serve) echo "--dir" ;;
	send) echo "--type --text --file --lines --dir --json" ;;
	outbox) echo "--from --max --dir --batches --json --quiet" ;;
	inbox) echo "--receipts --dir --json" ;;
	receipts) echo "--dir --json" ;;
	log) echo "--dir --json --from --count" ;;
	demo) echo "--dir --keep --messages" ;;
	version) echo "--json" ;;
	esac
}

# _parley_subs COMMAND: its subcommands, if it has any.
_parley_subs()
{
	case $1 in
	peer) echo "add list" ;;
	channel) echo "propose accept show templates" ;;
	case) echo "new list show export attachment ack answer decline withdraw remind close" ;;
	operator) echo "add list revoke audit" ;;
	key) echo "protect unprotect rotate" ;;
	store) echo "copy digest" ;;
	log) echo "show" ;;
	outbox) echo "export" ;;
	inbox | receipts) echo "import" ;;
	help) echo "$_parley_commands" ;;
	esac
}

_parley()
{
	local cur prev cmd i sub=""
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=""
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}

	if [ "$COMP_CWORD" -le 1 ]; then
		COMPREPLY=($(compgen -W "$_parley_commands --help --version" -- "$cur"))
		return 0
	fi
	cmd=${COMP_WORDS[1]}

	# The value of an option.
	case $prev in
	--dir) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
	--file | --attach | --charter | --register | --out | --receipts)
		COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
	--audit)
		# export --audit PEER: no completion of peer names (no node read).
		return 0 ;;
	--by) COMPREPLY=($(compgen -W "month quarter year" -- "$cur")); return 0 ;;
	--format) COMPREPLY=($(compgen -W "table json csv markdown" -- "$cur")); return 0 ;;
	--role) COMPREPLY=($(compgen -W "officer supervisor auditor" -- "$cur")); return 0 ;;
	--state)
		COMPREPLY=($(compgen -W "sent receipted acknowledged answered declined withdrawn closed" \
			-- "$cur"))
		return 0 ;;
	--tlp) COMPREPLY=($(compgen -W "clear green amber amber+strict red" -- "$cur")); return 0 ;;
	--template)
		COMPREPLY=($(compgen -W "consular-visa cyber-incident deconfliction information-sharing
			mutual-legal-assistance ping request-for-assistance standard" -- "$cur"))
		return 0 ;;
	--name | --listen | --endpoint | --store | --operator-listen | --type | --subject | \
	--field | --text | --peer | --at | --from | --to | --max | --count | --messages | --batches)
		return 0 ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_parley_opts "$cmd") --help" -- "$cur"))
		return 0
	fi
	# The first word after the command that is not an option or its value.
	for ((i = 2; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--protect | --json | --overdue | --reciprocity | --quiet | --dry-run | --lines | \
		--keep | --help) ;;
		--*=*) ;;
		-*) ((i++)) ;;
		*) sub=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [ -z "$sub" ]; then
		COMPREPLY=($(compgen -W "$(_parley_subs "$cmd")" -- "$cur"))
		[ "$cmd" = audit ] && COMPREPLY=($(compgen -f -- "$cur"))
		return 0
	fi
	# Files where a FILE goes: export --audit PEER FILE, inbox import FILE,
	# receipts import FILE, outbox export PEER FILE.
	case $cmd in
	export | inbox | receipts | outbox) COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
	return 0
}

complete -F _parley parley
