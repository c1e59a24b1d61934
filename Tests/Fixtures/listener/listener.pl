#!/usr/bin/perl
# Test fixture for tenantctl's integration tests: NOT tenant-ingest or tenant-admin.
# It only accepts TCP connections on TENANT_LISTEN (default 0.0.0.0:6000), closes them,
# and exits on SIGTERM, so tests can check containers, labels and published ports.
use strict;
use warnings;
use IO::Socket::INET;

$| = 1;
$SIG{TERM} = sub { print STDERR "test-listener: SIGTERM, exiting\n"; exit 0 };
$SIG{INT}  = $SIG{TERM};
# create-keyspace runs the image with --migrate-only; this fixture has no schema to create,
# so it says so and exits 0 (the test checks the one-shot container mechanics, not a schema).
if (grep { $_ eq '--migrate-only' } @ARGV) {
    print "test-listener: --migrate-only given; no schema in this fixture, exiting 0\n";
    exit 0;
}
my $listen = $ENV{TENANT_LISTEN} // '0.0.0.0:6000';
my $server = IO::Socket::INET->new(LocalAddr => $listen, Listen => 16, ReuseAddr => 1, Proto => 'tcp')
    or die "test-listener: cannot listen on $listen: $!\n";
print STDERR "test-listener: listening on $listen (args: @ARGV, provider: " . ($ENV{TENANT_PROVIDER} // '-') . ")\n";
print "test-listener ready\n";
while (1) {
    my $client = $server->accept() or next;
    close($client);
}
