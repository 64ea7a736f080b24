// Email notification settings: checks and their record (see notification_settings.hpp).
#include "engine/notification_settings.hpp"

#include "engine/records.hpp"

namespace twoway::engine {

namespace {

constexpr std::string_view kEmailKey = "notifications.email";
constexpr std::size_t kMaxAddress = 254;  // RFC 5321's path limit less the angle brackets
constexpr std::size_t kMaxLocalPart = 64;
constexpr std::size_t kMaxPath = 4096;

bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// A host name (labels of letters, digits and hyphens) or an address literal in brackets.
std::string domain_problem(std::string_view d) {
  if (d.empty()) return "no domain after '@'";
  if (d.size() > 253) return "the domain is longer than 253 characters";
  if (d.front() == '[') {
    if (d.back() != ']' || d.size() < 3) return "an address literal needs its closing ']'";
    for (char c : d.substr(1, d.size() - 2))
      if (!(is_label_char(c) || c == '.' || c == ':'))
        return "'" + std::string(d) + "' is not an address literal";
    return "";
  }
  std::size_t start = 0;
  while (start <= d.size()) {
    const std::size_t dot = d.find('.', start);
    const std::string_view label =
        d.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return "the domain has an empty label";
    if (label.size() > 63) return "a domain label is longer than 63 characters";
    if (label.front() == '-' || label.back() == '-')
      return "a domain label starts or ends with '-'";
    for (char c : label)
      if (!is_label_char(c))
        return "the domain has '" + std::string(1, c) + "' (letters, digits, '-' and '.' only)";
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return "";
}

void put_strings(records::Writer& w, const std::vector<std::string>& v) {
  w.varint(v.size());
  for (const auto& s : v) w.str(s);
}

}  // namespace

std::string email_address_problem(std::string_view a) {
  if (a.empty()) return "empty address";
  if (a.size() > kMaxAddress) return "longer than 254 characters";
  for (char c : a) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '<' || c == '>' || c == ',' || c == '"' || c == '\\')
      return "'" + std::string(a) +
             "' is not a plain address (write local@domain, without a name, spaces or quotes)";
  }
  const std::size_t at = a.rfind('@');
  if (at == std::string_view::npos) return "'" + std::string(a) + "' has no '@'";
  const std::string_view local = a.substr(0, at);
  if (local.empty()) return "'" + std::string(a) + "' has nothing before '@'";
  if (local.size() > kMaxLocalPart) return "the part before '@' is longer than 64 characters";
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return "'" + std::string(a) + "' has a misplaced '.' before '@'";
  for (char c : local)
    if (!(is_atext(c) || c == '.'))
      return "'" + std::string(a) + "' has '" + std::string(1, c) + "' before '@'";
  if (auto p = domain_problem(a.substr(at + 1)); !p.empty())
    return "'" + std::string(a) + "': " + p;
  return "";
}

const char* to_string(SmtpTls tls) noexcept {
  switch (tls) {
    case SmtpTls::none:
      return "none";
    case SmtpTls::starttls:
      return "starttls";
    case SmtpTls::implicit:
      return "implicit";
  }
  return "none";
}

std::optional<SmtpTls> parse_smtp_tls(std::string_view text) {
  if (text == "none") return SmtpTls::none;
  if (text == "starttls") return SmtpTls::starttls;
  if (text == "implicit") return SmtpTls::implicit;
  return std::nullopt;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  if (!host.starts_with("127.")) return false;
  for (char c : host)
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  return true;
}

std::vector<std::string> email_notification_errors(const EmailNotifications& e) {
  std::vector<std::string> errors;
  const std::string k = "notifications.email.";
  if (e.to.size() > kMaxEmailRecipients)
    errors.push_back(k + "to: more than " + std::to_string(kMaxEmailRecipients) + " addresses");
  for (const auto& a : e.to)
    if (auto p = email_address_problem(a); !p.empty()) errors.push_back(k + "to: " + p);
  if (!e.from.empty())
    if (auto p = email_address_problem(e.from); !p.empty()) errors.push_back(k + "from: " + p);
  if (e.digest_seconds < kMinDigestSeconds || e.digest_seconds > kMaxDigestSeconds)
    errors.push_back(k + "digest: must be between 10s and 1d");
  if (e.smtp_host.size() > 253) errors.push_back(k + "smtp.host: longer than 253 characters");
  for (char c : e.smtp_host)
    if (static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == '@' || c == '?' || c == '#') {
      errors.push_back(k + "smtp.host: '" + e.smtp_host + "' is not a host name or address");
      break;
    }
  if (e.smtp_port < 1 || e.smtp_port > 65535)
    errors.push_back(k + "smtp.port: must be from 1 to 65535");
  if (static_cast<int>(e.smtp_tls) > 2) errors.push_back(k + "smtp.tls: unknown mode");
  if (e.smtp_username.size() > 256) errors.push_back(k + "smtp.username: too long");
  if (e.smtp_password_file.size() > kMaxPath) errors.push_back(k + "smtp.password_file: too long");
  if (!e.smtp_username.empty() && e.smtp_password_file.empty())
    errors.push_back(k + "smtp.password_file: needed with smtp.username");
  if (!e.smtp_username.empty() && e.smtp_tls == SmtpTls::none && !is_loopback_host(e.smtp_host))
    errors.push_back(k + "smtp.tls: none would send the password in clear to " + e.smtp_host +
                     "; use starttls or implicit");
  if (e.enabled) {
    if (e.to.empty()) errors.push_back(k + "to: needed when enabled");
    if (e.from.empty()) errors.push_back(k + "from: needed when enabled");
    if (e.smtp_host.empty()) errors.push_back(k + "smtp.host: needed when enabled");
  }
  return errors;
}

void encode_email_notifications(const EmailNotifications& e, std::string& buf) {
  records::Writer w(buf);
  w.u8(records::kSchemaVersion);
  w.boolean(e.enabled);
  put_strings(w, e.to);
  w.str(e.from);
  w.svarint(e.digest_seconds);
  w.str(e.smtp_host);
  w.varint(e.smtp_port);
  w.u8(static_cast<std::uint8_t>(e.smtp_tls));
  w.str(e.smtp_username);
  w.str(e.smtp_password_file);
}

void decode_email_notifications(std::string_view in, EmailNotifications& e) {
  // Fields absent from an older record keep the values `e` already holds.
  records::Reader r(in);
  EmailNotifications d = e;
  if (r.u8() == 0) return;
  d.enabled = r.boolean(d.enabled);
  if (r.more()) {
    d.to.clear();
    const std::uint64_t n = r.varint();
    for (std::uint64_t i = 0; i < n && r.more(); ++i) d.to.push_back(r.str());
  }
  if (r.more()) d.from = r.str();
  if (r.more()) d.digest_seconds = r.svarint(d.digest_seconds);
  if (r.more()) d.smtp_host = r.str();
  if (r.more()) d.smtp_port = static_cast<std::uint32_t>(r.varint(d.smtp_port));
  if (r.more()) d.smtp_tls = static_cast<SmtpTls>(r.u8(static_cast<std::uint8_t>(d.smtp_tls)));
  if (r.more()) d.smtp_username = r.str();
  if (r.more()) d.smtp_password_file = r.str();
  if (r.ok()) e = std::move(d);
}

void write_email_notifications(Txn& txn, const Store& store, const EmailNotifications& e) {
  std::string buf;
  encode_email_notifications(e, buf);
  txn.put(store.settings, kEmailKey, buf);
}

void read_email_notifications(const Txn& txn, const Store& store, EmailNotifications& e) {
  if (const auto v = txn.get(store.settings, kEmailKey)) decode_email_notifications(*v, e);
}

}  // namespace twoway::engine
