// twoway.yaml(5) rendered from the key table: see config_man.hpp.
#include "daemon/config_man.hpp"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <string>

#include "daemon/config.hpp"

namespace twoway::daemon {
namespace {

using T = KeyType;

/// A bound as written in the table: "65535", "2.5".
std::string number_text(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e18) {
    return std::to_string(static_cast<long long>(v));
  }
  std::string s = std::to_string(v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

/// A duration bound (milliseconds) the way the file writes it: "250ms", "30s", "5m", "1d".
std::string duration_text(double ms) {
  const auto v = static_cast<std::int64_t>(ms);
  constexpr std::int64_t kSec = 1000, kMin = 60 * kSec, kHour = 60 * kMin, kDay = 24 * kHour;
  if (v != 0 && v % kDay == 0) return std::to_string(v / kDay) + "d";
  if (v != 0 && v % kHour == 0) return std::to_string(v / kHour) + "h";
  if (v != 0 && v % kMin == 0) return std::to_string(v / kMin) + "m";
  if (v != 0 && v % kSec == 0) return std::to_string(v / kSec) + "s";
  return std::to_string(v) + "ms";
}

/// "1 to 65535", "at most 8 characters": the bounds of one key, or "" when it has none.
std::string bounds_text(const KeySpec& k) {
  const bool unbounded = k.min == 0 && k.max == 0;
  switch (k.type) {
    case T::integer:
    case T::number:
      if (unbounded) return "";
      return number_text(k.min) + " to " + number_text(k.max);
    case T::duration:
      if (unbounded) return "";
      return duration_text(k.min) + " to " + duration_text(k.max);
    case T::string:
      if (unbounded) return "";
      if (k.min == k.max) return "exactly " + number_text(k.max) + " characters";
      if (k.min == 0) return "at most " + number_text(k.max) + " characters";
      return number_text(k.min) + " to " + number_text(k.max) + " characters";
    case T::list:
    case T::string_list:
      if (unbounded) return "";
      if (k.min == 0) return "at most " + number_text(k.max) + " entries";
      return number_text(k.min) + " to " + number_text(k.max) + " entries";
    case T::rate_map:
      if (unbounded) return "";
      return "each rate " + number_text(k.min) + " to " + number_text(k.max);
    case T::choice: {
      std::string out = "one of ";
      std::string_view rest = k.choices;
      for (bool first = true; !rest.empty(); first = false) {
        const auto bar = rest.find('|');
        const std::string_view word = rest.substr(0, bar);
        if (!first) out += bar == std::string_view::npos ? " or " : ", ";
        out += "\\fB" + roff_escape(word, true) + "\\fR";
        rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
      }
      return out;
    }
    case T::boolean:
      return "true or false";
    case T::section:
      return "";
  }
  return "";
}

/// What a change of the key needs: the reload class in words.
std::string_view reload_text(Reload r) {
  switch (r) {
    case Reload::live:
      return "A reload applies a change.";
    case Reload::restart:
      return "A change needs a restart: a reload logs \\fBneeds_restart\\fR and keeps the old "
             "value.";
    case Reload::seed:
      return "First value only: once twowayd has started, the admin socket's \\fBsettings\\fR "
             "command changes it and the store keeps the change.";
  }
  return "";
}

std::string sentence(std::string_view help) {
  std::string out = roff_escape(help);
  if (!out.empty() && out.back() != '.') out.push_back('.');
  return out;
}

std::string_view top_level(std::string_view path) {
  return path.substr(0, path.find_first_of(".["));
}

/// One key as a tagged paragraph; its reload class is said when it differs from that of
/// `section`, the top-level section it belongs to (said once under its heading), if any.
void render_key(std::string& out, const KeySpec& k, const KeySpec* section) {
  out += ".TP\n\\fB\\%" + roff_escape(k.path, true) + "\\fR";
  if (k.type == T::section) {
    out += "\n" + sentence(k.help) + "\n";
    return;
  }
  out += " (" + std::string(key_type_name(k.type));
  if (k.required) {
    out += ", required";
  } else if (k.def.empty()) {
    if (k.type == T::string) out += ", default empty";
  } else {
    out += ", default \\fB" + roff_escape(k.def, true) + "\\fR";
  }
  out += ")\n";
  out += sentence(k.help) + "\n";
  if (const std::string b = bounds_text(k); !b.empty()) {
    std::string first = b;
    first[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(first[0])));
    out += first + ".\n";
  }
  if (section == nullptr || k.reload != section->reload)
    out += std::string(reload_text(k.reload)) + "\n";
}

constexpr std::string_view kHead = R"(.SH NAME
twoway.yaml \- configuration file of the twoway SMPP gateway
.SH SYNOPSIS
.I /etc/twoway/twoway.yaml
.SH DESCRIPTION
.BR twowayd (8)
reads its configuration from one YAML file,
.I /etc/twoway/twoway.yaml
unless
.B \-\-config
names another.
Every key below is optional unless marked required; a key left out takes its default.
A key twowayd does not know is an error (with a "did you mean" hint), so a misspelt key
never goes unnoticed.
.PP
Check a file before using it:
.PP
.in +4n
.EX
twowayd \-\-check\-config \-\-config /etc/twoway/twoway.yaml
.EE
.in
.PP
prints every problem at once as
.IR file : line : column ": " key ": " problem
and exits with a non-zero status;
.B twowayd \-\-describe\-config
prints the same table of keys as this page, one key per line.
.PP
Keys written here as
.B smscs[].port
are keys of each entry of a list.
Durations are written as
.BR 250ms ,
.BR 30s ,
.BR 5m ,
.BR 1h ,
.B 1d
or a whole number of seconds.
Octal modes and times of day are quoted
.RB ( \(dq0660\(dq ,
.BR \(dq08:00\(dq ).
.PP
.B systemctl reload twowayd
(SIGHUP) reads the file again.
A file with any problem is refused as a whole and the running configuration stays.
Each key says below whether a reload applies it, whether it needs a restart, or whether it
is only the first value of a setting that lives in the store once twowayd has run.
.SS Secrets
An SMSC's bind password belongs in a file of its own, named by
.BR password_file ,
readable by the
.B twoway
user and nobody else; twowayd reads its first line at each bind.
The Debian package creates
.I /etc/twoway/smsc\-password
empty, mode 0640, owner root, group twoway: write the password into it.
A password file that cannot be read, or is empty, is a configuration error.
)";

constexpr std::string_view kTail = R"(.SH FILES
.TP
.I /etc/twoway/twoway.yaml
This file: mode 0640, owner root, group twoway.
.TP
.I /etc/twoway/smsc\-password
The bind password of the SMSC of the shipped configuration.
.SH EXAMPLES
One SMSC with two transceiver binds over TLS, the password in a file, and one long code:
.PP
.in +4n
.EX
organization:
  name: "ACME"
  prefix: "ACME: "
  support_email: "help@acme.example"
smscs:
  \- name: carrier1
    host: smpp.carrier.example
    port: 3550
    system_id: acme
    password_file: /etc/twoway/smsc\-password
    binds: 2
    tls: { enabled: true }
numbers:
  \- { number: "+15551234567", smsc: carrier1 }
.EE
.in
.SH SEE ALSO
.BR twowayd (8),
.BR twowayctl (1),
.BR systemd.service (5)
)";

}  // namespace

std::string roff_escape(std::string_view text, bool literal) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-' && literal) {
      out += "\\-";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out.push_back(c);
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::string config_manual_page(std::string_view version, std::string_view date) {
  std::string out;
  out += ".\\\" twoway.yaml(5), generated from twowayd's table of configuration keys.\n";
  out += ".TH TWOWAY.YAML 5 " + std::string(date) + " \"twoway " + roff_escape(version) +
         "\" \"File Formats\"\n";
  out += kHead;
  out += ".SH KEYS\n";
  std::string_view current;
  const KeySpec* section = nullptr;
  for (const KeySpec& k : config_keys()) {
    const std::string_view top = top_level(k.path);
    if (top != current) {
      current = top;
      section = nullptr;
      out += ".SS " + roff_escape(top, true) + "\n";
      if (k.path == top && (k.type == T::section || k.type == T::list)) {
        out += sentence(k.help) + "\n";
        if (k.type == T::list) {
          out += "A list";
          if (const std::string b = bounds_text(k); !b.empty()) out += " of " + b;
          out += ".\n";
        }
        out += std::string(reload_text(k.reload)) + "\n";
        section = &k;
        continue;
      }
    }
    render_key(out, k, section);
  }
  out += kTail;
  return out;
}

}  // namespace twoway::daemon
