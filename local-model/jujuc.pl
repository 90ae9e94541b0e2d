#!/usr/bin/perl -w
# The client half of every hook tool (and of each unit's `systemctl`): forwards argv, and stdin when the tool
# reads it, to the model controller over its Unix socket and reproduces the answer: stdout, stderr, exit code
# (contract §2.1).
#
# Perl, not Node: a hook makes a dozen tool calls, and Juju's own jujuc is a Go binary that starts in a few
# milliseconds. perl-base is an Essential package on Debian and Ubuntu, so every machine this runs on has it.
# It loads no module but strict: `use Socket` doubled a call's cost (measured 22.5 ms against 10.7 ms for
# `perl -Mstrict -e 1` on a slow machine), so the socket's constants and address are spelled out (Linux's
# values, the same on every architecture Ubuntu ships), and warnings come from -w, not warnings.pm (3 ms).
#
# Request: HTTP/1.0 POST of JSON ({contextId, tool, args, stdin} or {unit, args}).
# Answer (daemon.ts, replyFramed): "<exit code> <stdout bytes> <stderr bytes>\n", then stdout, then stderr.
use strict;

# <sys/socket.h> on Linux: PF_UNIX 1, SOCK_STREAM 1; a sockaddr_un is the family (a native unsigned short)
# then the NUL-terminated path.
my ($PF_UNIX, $SOCK_STREAM) = (1, 1);
sub sockaddr_un { return pack('S', $PF_UNIX) . $_[0] . "\0" }

sub fail {
    my ($message) = @_;
    print STDERR "ERROR $message\n";
    exit 1;
}

# A JSON string of bytes: quotes, backslashes and control characters escaped; other bytes as they are (argv
# and stdin are UTF-8 on these machines; the controller decodes the body as UTF-8, as Node's argv would).
sub json_string {
    my ($text) = @_;
    $text =~ s/(["\\])/\\$1/g;
    $text =~ s/([\x00-\x1f])/sprintf("\\u%04x", ord $1)/ge;
    return "\"$text\"";
}

# Only `--file -` (relation-set, state-set, secret-*) makes a tool read stdin; others never block on it.
sub wants_stdin {
    my @args = @_;
    for my $i (0 .. $#args) {
        return 1 if $args[$i] eq '--file=-';
        return 1 if ($args[$i] eq '--file' || $args[$i] eq '-f') && defined $args[$i + 1] && $args[$i + 1] eq '-';
    }
    return 0;
}

# Hook tools are symlinks to this file, named after the tool (as Juju's are to jujuc); the machine's `systemctl`,
# `apt-get` and `dpkg-query` run it as `jujuc systemctl|apt-get|dpkg-query <unit> [args...]`.
my ($invoked_as) = $0 =~ m{([^/]+)\z};
my ($mode, $name, @args) = $invoked_as eq 'jujuc' ? @ARGV : ('tool', $invoked_as, @ARGV);
my ($socket_path, $route, @fields, $unreachable);
if (defined $mode && $mode eq 'tool' && defined $name) {
    my $context = $ENV{JUJU_CONTEXT_ID};
    $socket_path = $ENV{JUJU_AGENT_SOCKET_ADDRESS};
    fail('JUJU_CONTEXT_ID not set') unless defined $context && $context ne '';
    fail('JUJU_AGENT_SOCKET_ADDRESS not set') unless defined $socket_path && $socket_path ne '';
    $route = '/tool';
    push @fields, '"contextId":' . json_string($context), '"tool":' . json_string($name);
    if (wants_stdin(@args)) {
        binmode STDIN;
        local $/;
        my $stdin = <STDIN>;
        push @fields, '"stdin":' . json_string(defined $stdin ? $stdin : '');
    }
    $unreachable = 'cannot reach the unit agent';
} elsif (defined $mode && $mode eq 'systemctl' && defined $name) {
    $socket_path = $ENV{LOCAL_MODEL_SOCKET};
    fail('LOCAL_MODEL_SOCKET not set') unless defined $socket_path && $socket_path ne '';
    $route = '/systemctl';
    push @fields, '"unit":' . json_string($name);
    $unreachable = 'Failed to connect to bus';
} elsif (defined $mode && ($mode eq 'apt-get' || $mode eq 'dpkg-query') && defined $name) {
    $socket_path = $ENV{LOCAL_MODEL_SOCKET};
    fail('LOCAL_MODEL_SOCKET not set') unless defined $socket_path && $socket_path ne '';
    $route = '/packages';
    push @fields, '"unit":' . json_string($name), '"command":' . json_string($mode);
    $unreachable = "$mode: cannot reach the machine's package manager";
} else {
    fail('usage: jujuc tool <name> [args...] | jujuc systemctl|apt-get|dpkg-query <unit> [args...]');
}
push @fields, '"args":[' . join(',', map { json_string($_) } @args) . ']';
my $body = '{' . join(',', @fields) . '}';

socket(my $socket, $PF_UNIX, $SOCK_STREAM, 0) or fail("$unreachable: $!");
connect($socket, sockaddr_un($socket_path)) or fail("$unreachable: $!");
binmode $socket;
my $request = "POST $route HTTP/1.0\r\nHost: local-model\r\nContent-Type: application/json\r\nContent-Length: "
    . length($body) . "\r\n\r\n$body";
while (length $request) {
    my $written = syswrite($socket, $request);
    fail("$unreachable: $!") unless defined $written;
    substr($request, 0, $written, '');
}
my $response = '';
while (1) {
    my $read = sysread($socket, $response, 65536, length $response);
    fail("$unreachable: $!") unless defined $read;
    last if $read == 0;
}
close $socket;

my $header_end = index($response, "\r\n\r\n");
fail("$unreachable: no answer") if $header_end < 0;
my $status_line = substr($response, 0, index($response, "\r\n"));
fail("$unreachable: $status_line") unless $status_line =~ m{^HTTP/1\.\d 200 };
my $answer = substr($response, $header_end + 4);
fail("$unreachable: malformed answer") unless $answer =~ /\A(\d+) (\d+) (\d+)\n/;
my ($code, $out_length, $err_length) = ($1, $2, $3);
my $offset = $+[0];
binmode STDOUT;
binmode STDERR;
print STDOUT substr($answer, $offset, $out_length);
print STDERR substr($answer, $offset + $out_length, $err_length);
exit $code;
