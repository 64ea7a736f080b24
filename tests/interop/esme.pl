#!/usr/bin/perl
# An ESME built on Net::SMPP for the interop test: binds as transceiver to twoway-smsc-sim,
# acknowledges every MO, replies to each with a submit_sm asking for a receipt, and counts the
# receipts; unbinds when it has EXPECT of each. Prints "mo=N receipts=N submit_ok=N".
# Usage: esme.pl PORT EXPECT
use strict;
use warnings;
use Net::SMPP;

my ($port, $expect) = @ARGV;
die "usage: esme.pl PORT EXPECT\n" unless defined $expect;
alarm 30;

my ($smpp, $resp) = Net::SMPP->new_transceiver('127.0.0.1', port => $port,
                                                 system_id => 'perl', password => 'pw',
                                                 async => 1);
die "connect failed\n" unless $smpp;
# In async mode the bind response still has to be read.
my $bind = $smpp->read_pdu or die "no bind_resp\n";
die "bind refused: status $bind->{status}\n" if $bind->{status} != 0;

my ($mo, $receipts, $submit_ok, $texts) = (0, 0, 0, '');
while (my $pdu = $smpp->read_pdu) {
  my $cmd = $pdu->{cmd};
  if ($cmd == 0x00000005) {
    $smpp->deliver_sm_resp(seq => $pdu->{seq}, message_id => '');
    if (($pdu->{esm_class} & 0x3C) == 0x04) {
      $receipts++ if defined $pdu->{receipted_message_id};
    } else {
      $mo++;
      $texts .= $pdu->{short_message} . '|';
      $smpp->submit_sm(source_addr => '12345', destination_addr => $pdu->{source_addr},
                       registered_delivery => 1, short_message => 'Thanks from Perl');
    }
  } elsif ($cmd == 0x80000004) {
    $submit_ok++ if $pdu->{status} == 0;
  } elsif ($cmd == 0x00000015) {
    $smpp->enquire_link_resp(seq => $pdu->{seq});
  }
  last if $mo >= $expect && $receipts >= $expect && $submit_ok >= $expect;
}
my $seq = $smpp->unbind();
while (my $pdu = $smpp->read_pdu) { last if $pdu->{cmd} == 0x80000006; }
print "mo=$mo receipts=$receipts submit_ok=$submit_ok texts=$texts\n";
exit(($mo == $expect && $receipts == $expect && $submit_ok == $expect) ? 0 : 1);
