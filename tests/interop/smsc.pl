#!/usr/bin/perl
# An SMSC built on Net::SMPP (an SMPP implementation written elsewhere) for the interop test:
# accepts one transceiver bind, sends MO in GSM-7, UCS-2 and two UDH parts, answers submit_sm,
# sends a delivery receipt when asked, and logs what it saw (one "key value..." line each).
# Usage: smsc.pl PORT_FILE LOG_FILE
use strict;
use warnings;
use Net::SMPP;

my ($port_file, $log_file) = @ARGV;
die "usage: smsc.pl PORT_FILE LOG_FILE\n" unless defined $log_file;
alarm 30;  # bounded, whatever happens

my $listen = Net::SMPP->new_listen('127.0.0.1', port => 0, smpp_version => 0x34)
  or die "listen: $!\n";
open(my $pf, '>', "$port_file.tmp") or die;
print $pf $listen->sockport, "\n";
close $pf;
rename "$port_file.tmp", $port_file;

open(my $log, '>', $log_file) or die;
$log->autoflush(1);
my $smpp = $listen->accept or die "accept: $!\n";

my $bind = $smpp->read_pdu or die "no bind\n";
die "expected bind_transceiver, got $bind->{cmd}\n" unless $bind->{cmd} == 0x00000009;
my $ok = $bind->{system_id} eq 'esme' && $bind->{password} eq 'secret';
print $log "bind $bind->{system_id} ", ($ok ? 'ok' : 'refused'), "\n";
$smpp->bind_transceiver_resp(seq => $bind->{seq}, status => ($ok ? 0 : 0x0D),
                             system_id => 'perlsmsc');
exit 1 unless $ok;

# MO: GSM-7 (unpacked, the ASCII subset), UCS-2 (UTF-16BE), and a two-part UDH message sent
# last part first.
my @mo = (
  [0x00, 0x00, 'Hello from Perl'],
  [0x00, 0x08, "\x00G\x00r\x00\xFC\x00\xDF\x00e\x00 \xD8\x3D\xDE\x00"],
  [0x40, 0x00, "\x05\x00\x03\x2A\x02\x02" . 'second part'],
  [0x40, 0x00, "\x05\x00\x03\x2A\x02\x01" . 'first part, '],
);
for my $m (@mo) {
  $smpp->deliver_sm(async => 1, source_addr_ton => 1, source_addr_npi => 1,
                    source_addr => '15550001000', dest_addr_ton => 3, dest_addr_npi => 1,
                    destination_addr => '12345', esm_class => $m->[0], data_coding => $m->[1],
                    short_message => $m->[2]);
}

my $next_id = 1000;
my $receipt_sent = 0;
while (my $pdu = $smpp->read_pdu) {
  my $cmd = $pdu->{cmd};
  if ($cmd == 0x80000005) {
    printf $log "deliver_sm_resp seq=%d status=%d\n", $pdu->{seq}, $pdu->{status};
  } elsif ($cmd == 0x00000004) {
    my $id = 'perl' . $next_id++;
    printf $log "submit_sm id=%s to=%s dc=%d esm=%d rd=%d sm=%s\n", $id,
      $pdu->{destination_addr}, $pdu->{data_coding}, $pdu->{esm_class},
      $pdu->{registered_delivery}, unpack('H*', $pdu->{short_message});
    $smpp->submit_sm_resp(seq => $pdu->{seq}, message_id => $id);
    if (($pdu->{registered_delivery} & 3) && !$receipt_sent) {
      $receipt_sent = 1;
      $smpp->deliver_sm(async => 1, source_addr => $pdu->{destination_addr},
                        destination_addr => $pdu->{source_addr}, esm_class => 0x04,
                        short_message => "id:$id sub:001 dlvrd:001 submit date:2611270101 "
                          . "done date:2611270101 stat:DELIVRD err:000 text:",
                        receipted_message_id => "$id\0", message_state => "\x02");
    }
  } elsif ($cmd == 0x00000015) {
    $smpp->enquire_link_resp(seq => $pdu->{seq});
  } elsif ($cmd == 0x00000006) {
    print $log "unbind\n";
    $smpp->unbind_resp(seq => $pdu->{seq});
    last;
  } else {
    printf $log "other cmd=0x%08x\n", $cmd;
  }
}
print $log "end\n";
close $log;
exit 0;
