// The files an SMSC's bind reads besides the config: the password file and the TLS CA bundle,
// client certificate and key. Checked by the loader (--check-config, start, reload) and read
// by the gateway once per (re)bind, so a file that cannot be used is a refusal naming the SMSC,
// the key and the file, never an empty password or an exception from deep in OpenSSL.
#pragma once

#include <string>
#include <vector>

#include "daemon/config.hpp"

namespace twoway::daemon {

/// A file of one SMSC that cannot be used.
struct SmscFileProblem {
  std::string key;      ///< below the SMSC: "password_file", "tls.ca_file", ...
  std::string file;     ///< the path as configured
  std::string problem;  ///< "cannot read '/etc/twoway/ca.pem': No such file or directory"
};

/// The password in `path`: its first line, without a trailing CR or spaces. An unreadable
/// file, an empty one or an empty first line is a problem (never an empty password).
struct PasswordRead {
  std::string password;
  std::string problem;  ///< empty when `password` is good
};
[[nodiscard]] PasswordRead read_password_file(const std::string& path);

/// Every problem with the files `smsc` names: the password file (readable, not empty) and,
/// when TLS is enabled, the CA bundle, certificate and key (readable, PEM that OpenSSL loads,
/// the key matching the certificate). Empty when all can be used.
[[nodiscard]] std::vector<SmscFileProblem> check_smsc_files(const SmscConfig& smsc);

/// "smsc=NAME key=smscs[].KEY file=PATH: PROBLEM", for logs and refusals.
[[nodiscard]] std::string describe(const SmscConfig& smsc, const SmscFileProblem& p);

}  // namespace twoway::daemon
