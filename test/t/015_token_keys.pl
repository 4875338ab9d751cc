# tenant_guard: the keys of signed tenant tokens, as the server's
# configuration gives them.  What a regression test cannot do, since the
# keys are reloadable settings: keys in files, rotation by reload (a new
# key added, the old one removed), a key file that does not parse, no key
# at all, and that no key ever reaches the server log or a client, however
# the configuration changes.
use strict;
use warnings FATAL => 'all';

use Digest::SHA qw(hmac_sha256);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use MIME::Base64 qw(encode_base64url);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use TenantGuard::TestUtils;
use Test::More;

my $node = preloaded_node('token_keys');
my $dir = $node->basedir;
my $old_secret = 'old-secret-' . ('o' x 40);
my $new_secret = 'new-secret-' . ('n' x 40);
my $short_secret = 'short-secret-sss';
my @secrets = ($old_secret, $new_secret, $short_secret);

sub write_key
{
	my ($name, $content) = @_;
	open(my $fh, '>', "$dir/$name") or die "cannot write $dir/$name: $!";
	print $fh "$content\n";
	close($fh);
	return "$dir/$name";
}

# A token for tenant 1 from now on for a minute, with kid (or none).
sub token
{
	my ($secret, $kid) = @_;
	my $now = time();
	my $header = defined $kid ? qq({"alg":"HS256","kid":"$kid"}) : '{"alg":"HS256"}';
	my $input = encode_base64url($header) . '.'
	  . encode_base64url(qq({"tenant":"1","iat":$now,"exp":) . ($now + 60) . '}');
	return $input . '.' . encode_base64url(hmac_sha256($input, $secret));
}

# A token for tenant 1 with the claims given as they are (raw JSON bytes).
sub token_with_claims
{
	my ($secret, $kid, $claims) = @_;
	my $input = encode_base64url(qq({"alg":"HS256","kid":"$kid"})) . '.'
	  . encode_base64url($claims);
	return $input . '.' . encode_base64url(hmac_sha256($input, $secret));
}

# The outcome of set_tenant_token() in a transaction: the tenant, or the
# error with its SQLSTATE.
sub try_token
{
	my ($token) = @_;
	my ($ret, $out, $err) = $node->psql(
		'postgres',
		"BEGIN; SELECT tenant_guard.set_tenant_token('$token'); COMMIT;",
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	return $ret == 0 ? "tenant $out" : $err;
}

# Set tenant_guard.token_secret and reload; wait until a new connection
# shows the setting as expected (backends forked after the postmaster
# reloaded).
sub configure
{
	my ($value, $shown) = @_;
	$node->append_conf('postgresql.conf', "tenant_guard.token_secret = '$value'");
	$node->reload;
	$node->poll_query_until('postgres',
		"SELECT current_setting('tenant_guard.token_secret') = '$shown'")
	  or die "tenant_guard.token_secret is not shown as $shown";
}

$node->safe_psql('postgres', 'CREATE EXTENSION tenant_guard');
my $old_file = write_key('old.key', $old_secret);
my $new_file = write_key('new.key', $new_secret);
my $short_file = write_key('short.key', $short_secret);

# No key at all: refused, saying which setting to set.
like(try_token(token($old_secret, 'old')),
	qr/55000: no key is configured for HS256 tenant tokens/, 'no key: refused');

# A key in a file.
configure("old:$old_file", '(1 key)');
is(try_token(token($old_secret, 'old')), 'tenant 1', 'a key from a file verifies');
like(try_token(token($new_secret, 'new')),
	qr/42501: tenant token key is not configured/, 'an unknown kid is refused');

# Rotation: the new key added, tokens of both verify; a token without kid
# is tried with each key.
configure("old:$old_file, new:$new_file", '(2 keys)');
is(try_token(token($old_secret, 'old')), 'tenant 1', 'rotation: the old key still verifies');
is(try_token(token($new_secret, 'new')), 'tenant 1', 'rotation: the new key verifies');
is(try_token(token($new_secret)), 'tenant 1', 'rotation: a token without kid finds its key');
is($node->safe_psql('postgres', 'SHOW tenant_guard.token_secret'),
	'(2 keys)', 'SHOW counts the keys');

# ... then the old one removed.
configure("new:$new_file", '(1 key)');
like(try_token(token($old_secret, 'old')),
	qr/42501: tenant token key is not configured/, 'rotation: the old key is gone');
like(try_token(token($old_secret)),
	qr/42501: tenant token signature is not valid/,
	'rotation: a token of the old key without kid is refused');

# A key too short: every token is refused until it is fixed, and the
# message names the entry, not the key.
configure("new:$new_file, weak:$short_file", '(invalid)');
like(try_token(token($new_secret, 'new')),
	qr/55000: tenant_guard.token_secret cannot be used\nDETAIL:  Entry 2: An HS256 secret must be at least 32 bytes long./,
	'a short key: every token refused, the entry named');
configure("new:$new_file, lost:$dir/missing.key", '(invalid)');
like(try_token(token($new_secret, 'new')),
	qr/Entry 2: The key file cannot be read/, 'a missing key file');
configure("new:$new_file", '(1 key)');
is(try_token(token($new_secret, 'new')), 'tenant 1', 'fixed: tokens verify again');

# An inline secret, changed by a reload: PostgreSQL logs a reloaded
# setting's new text when the variable's value changes, which it never
# does here (the value is parsed, then kept out of the variable).
my $inline_one = 'inline-secret-one-' . ('i' x 40);
my $inline_two = 'inline-secret-two-' . ('j' x 40);
push @secrets, $inline_one, $inline_two;
configure("one:$inline_one", '(1 key)');
is(try_token(token($inline_one, 'one')), 'tenant 1', 'an inline secret verifies');
configure("two:$inline_two", '(1 key)');
is(try_token(token($inline_two, 'two')), 'tenant 1',
	'an inline secret changed by a reload verifies');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_settings WHERE name = 'tenant_guard.token_secret'"),
	'0', 'pg_settings does not list the setting');

# A claim in raw UTF-8 (not a \u escape): in a UTF-8 database claim()
# returns it as text; in a database in another encoding, where the bytes
# would not be text, the token is refused as malformed (a token for such a
# database must be ASCII).
my $now = time();
my $raw = token_with_claims($inline_two, 'two',
	qq({"tenant":"1","name":"Jos\xc3\xa9","iat":$now,"exp":) . ($now + 60) . '}');
for my $enc ('UTF8', 'LATIN1')
{
	$node->safe_psql('postgres',
		"CREATE DATABASE tok_" . lc($enc) . " ENCODING '$enc' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
	$node->safe_psql("tok_" . lc($enc), 'CREATE EXTENSION tenant_guard');
}
is($node->safe_psql('tok_utf8',
		"BEGIN; SELECT tenant_guard.set_tenant_token('$raw') IS NOT NULL; "
		  . "SELECT tenant_guard.claim('name') = U&'Jos\\00E9'; COMMIT;"),
	"t\nt", 'a UTF-8 database: a raw UTF-8 claim is text');
my ($ret, $out, $err) = $node->psql('tok_latin1',
	"BEGIN; SELECT tenant_guard.set_tenant_token('$raw'); COMMIT;");
like($err, qr/tenant token is malformed/,
	'a LATIN1 database: a raw UTF-8 claim is refused');
is($node->safe_psql('tok_latin1',
		"BEGIN; SELECT tenant_guard.set_tenant_token('" . token($inline_two, 'two')
		  . "'); COMMIT;"),
	'1', 'a LATIN1 database: an ASCII token verifies');

# The server log holds none of the keys, whatever happened above.
my $log = slurp_file($node->logfile);
for my $secret (@secrets)
{
	unlike($log, qr/\Q$secret\E/, "the log does not hold a key");
}
like($log, qr/received SIGHUP, reloading configuration files/,
	'the log was read (it has the reloads)');

$node->stop;
done_testing();
