// The password and TLS files of an SMSC: see smsc_files.hpp.
#include "daemon/smsc_files.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

namespace twoway::daemon {
namespace {

std::string quoted(const std::string& path) {
  return "'" + path + "'";
}

/// Empty when `path` opens for reading; otherwise why not.
std::string unreadable(const std::string& path) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read " + quoted(path) + ": " + std::strerror(errno ? errno : EACCES);
  char c;
  in.get(c);
  if (in.bad()) return "cannot read " + quoted(path) + ": " + std::strerror(errno ? errno : EIO);
  if (in.eof()) return "cannot read " + quoted(path) + ": the file is empty";
  return {};
}

/// OpenSSL's reason for the last failure, and its error queue emptied.
std::string openssl_reason() {
  unsigned long last = 0;
  while (unsigned long e = ERR_get_error()) last = e;
  if (last == 0) return "not accepted";
  const char* reason = ERR_reason_error_string(last);
  return reason != nullptr ? reason : "not accepted";
}

}  // namespace

PasswordRead read_password_file(const std::string& path) {
  PasswordRead r;
  if (std::string why = unreadable(path); !why.empty()) {
    r.problem = std::move(why);
    return r;
  }
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) {
    r.problem = "cannot read a password from " + quoted(path) + ": its first line is empty";
    return r;
  }
  r.password = std::move(line);
  return r;
}

std::vector<SmscFileProblem> check_smsc_files(const SmscConfig& smsc) {
  std::vector<SmscFileProblem> out;
  if (!smsc.password_file.empty()) {
    const PasswordRead pw = read_password_file(smsc.password_file);
    if (!pw.problem.empty()) {
      out.push_back({"password_file", smsc.password_file, pw.problem});
    } else if (pw.password.size() > 8) {
      out.push_back(
          {"password_file", smsc.password_file,
           "the password in " + quoted(smsc.password_file) + " is longer than 8 characters"});
    }
  }
  if (!smsc.tls.enabled) return out;

  // The same loads the session makes, on a context of its own.
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        &SSL_CTX_free);
  const auto check = [&](const char* key, const std::string& file, const char* what, auto&& load) {
    if (file.empty()) return false;
    if (std::string why = unreadable(file); !why.empty()) {
      out.push_back({key, file, std::move(why)});
      return false;
    }
    ERR_clear_error();
    if (ctx && load(file) != 1) {
      out.push_back(
          {key, file, quoted(file) + " holds no usable " + what + " (" + openssl_reason() + ")"});
      return false;
    }
    return true;
  };
  check("tls.ca_file", smsc.tls.ca_file, "PEM CA certificate", [&](const std::string& f) {
    return SSL_CTX_load_verify_locations(ctx.get(), f.c_str(), nullptr);
  });
  const bool cert =
      check("tls.cert_file", smsc.tls.cert_file, "PEM certificate", [&](const std::string& f) {
        return SSL_CTX_use_certificate_chain_file(ctx.get(), f.c_str());
      });
  const bool key =
      check("tls.key_file", smsc.tls.key_file, "PEM private key", [&](const std::string& f) {
        return SSL_CTX_use_PrivateKey_file(ctx.get(), f.c_str(), SSL_FILETYPE_PEM);
      });
  if (cert && key && SSL_CTX_check_private_key(ctx.get()) != 1) {
    out.push_back({"tls.key_file", smsc.tls.key_file,
                   quoted(smsc.tls.key_file) + " does not match the certificate in " +
                       quoted(smsc.tls.cert_file) + " (" + openssl_reason() + ")"});
  }
  ERR_clear_error();
  return out;
}

std::string describe(const SmscConfig& smsc, const SmscFileProblem& p) {
  return "smsc=" + smsc.name + " key=smscs[]." + p.key + " file=" + p.file + ": " + p.problem;
}

}  // namespace twoway::daemon
