// Link shortening: address detection, short codes and the stored links (see links.hpp).
#include "engine/links.hpp"

#include <sys/random.h>

#include <cerrno>
#include <system_error>

#include "engine/records.hpp"

namespace twoway::engine {

namespace {

constexpr std::size_t kMaxCodeLength = 32;
constexpr int kMaxDraws = 32;  // a collision at 62^8 is all but impossible; 32 is plenty

bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_ci(std::string_view s, std::size_t at, std::string_view prefix) {
  if (s.size() - at < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[at + i]) != prefix[i]) return false;
  return true;
}

bool equal_ci(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// Where an address ends: whitespace and control characters, non-ASCII (the text goes on in
// another script, or an emoji follows), and the characters RFC 3986 never allows unencoded.
bool stops_address(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return true;
  switch (c) {
    case '<':
    case '>':
    case '"':
    case '`':
    case '{':
    case '}':
    case '|':
    case '\\':
    case '^':
      return true;
    default:
      return false;
  }
}

// A character after which an address cannot start: it would be the middle of a word, an e-mail
// address, a path or another address.
bool glued(char c) {
  if (is_alnum(c)) return true;
  switch (c) {
    case '.':
    case '@':
    case '/':
    case '-':
    case '_':
    case ':':
    case '=':
    case '&':
    case '?':
    case '#':
    case '%':
    case '+':
    case '~':
      return true;
    default:
      return false;
  }
}

// The end of [start, end) without trailing sentence punctuation and unbalanced closing
// brackets.
std::size_t trim_end(std::string_view text, std::size_t start, std::size_t end) {
  const auto count = [&](char c, std::size_t to) {
    std::size_t n = 0;
    for (std::size_t i = start; i < to; ++i) n += text[i] == c;
    return n;
  };
  while (end > start) {
    const char c = text[end - 1];
    if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\'' ||
        c == '*') {
      --end;
    } else if (c == ')' && count('(', end) < count(')', end)) {
      --end;
    } else if (c == ']' && count('[', end) < count(']', end)) {
      --end;
    } else {
      break;
    }
  }
  return end;
}

// The host of an address without its scheme: up to the path, query or fragment, without user
// information and port.
std::string_view host_of(std::string_view rest) {
  std::size_t end = rest.find_first_of("/?#");
  std::string_view host = rest.substr(0, end);
  if (const auto at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    return close == std::string_view::npos ? std::string_view{} : host.substr(0, close + 1);
  }
  if (const auto colon = host.find(':'); colon != std::string_view::npos)
    host = host.substr(0, colon);
  return host;
}

// A host a link may lead to: letters, digits, '-' and dots with at least one letter or digit,
// or a bracketed IPv6 address.
bool usable_host(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') return host.size() > 2 && host.back() == ']';
  bool alnum = false;
  for (char c : host) {
    if (is_alnum(c)) {
      alnum = true;
    } else if (c != '-' && c != '.') {
      return false;
    }
  }
  return alnum && host.front() != '.' && host.front() != '-';
}

std::string_view strip_scheme(std::string_view address) {
  if (starts_with_ci(address, 0, "https://")) return address.substr(8);
  if (starts_with_ci(address, 0, "http://")) return address.substr(7);
  return address;
}

records::Key link_msg_key(std::uint64_t message_id, std::string_view code) {
  records::Key k;
  k.be64(message_id).bytes(code);
  return k;
}

}  // namespace

std::vector<FoundLink> find_links(std::string_view text) {
  std::vector<FoundLink> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t host_at = 0;
    bool bare = false;
    if (i > 0 && glued(text[i - 1])) {
      ++i;
      continue;
    }
    if (starts_with_ci(text, i, "https://")) {
      host_at = i + 8;
    } else if (starts_with_ci(text, i, "http://")) {
      host_at = i + 7;
    } else if (starts_with_ci(text, i, "www.")) {
      host_at = i;
      bare = true;
    } else {
      ++i;
      continue;
    }
    std::size_t j = host_at;
    while (j < text.size() && !stops_address(text[j])) ++j;
    const std::size_t end = trim_end(text, i, j);
    const std::string_view host =
        end > host_at ? host_of(text.substr(host_at, end - host_at)) : std::string_view{};
    bool ok = usable_host(host);
    // "www.example" alone is a word, not an address: a bare one needs www.NAME.TLD.
    if (ok && bare) ok = host.size() > 4 && starts_with_ci(host, 0, "www.");
    if (ok && bare) {
      const std::string_view name = host.substr(4);
      const auto dot = name.find('.');
      ok = dot != std::string_view::npos && dot > 0 && dot + 1 < name.size();
    }
    if (!ok) {
      i = std::max(j, i + 1);
      continue;
    }
    FoundLink f;
    f.pos = i;
    f.len = end - i;
    f.target = bare ? "http://" + std::string(text.substr(i, end - i))
                    : std::string(text.substr(i, end - i));
    out.push_back(std::move(f));
    i = end;
  }
  return out;
}

bool on_domain(std::string_view address, std::string_view domain) {
  std::string_view host = host_of(strip_scheme(address));
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  return !domain.empty() && equal_ci(host, domain);
}

bool valid_link_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos)
    return false;
  std::size_t start = 0;
  while (start <= domain.size()) {
    const auto dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label)
      if (!is_alnum(c) && c != '-') return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

bool valid_listen_address(std::string_view listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view host = listen.substr(0, colon);
  const std::string_view port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return false;
  if (host.front() == '[') return host.size() > 2 && host.back() == ']';
  for (char c : host)
    if (!is_alnum(c) && c != '-' && c != '.') return false;
  return true;
}

std::string random_link_code(std::size_t length) {
  std::string code;
  code.reserve(length);
  unsigned char buf[64];
  while (code.size() < length) {
    const ssize_t n = ::getrandom(buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    for (ssize_t i = 0; i < n && code.size() < length; ++i) {
      // 248 = 4 x 62: below it every symbol is equally likely; above it, draw again.
      if (buf[i] < 248) code.push_back(kLinkAlphabet[buf[i] % kLinkAlphabet.size()]);
    }
  }
  return code;
}

bool valid_link_code(std::string_view code) {
  if (code.size() < 7 || code.size() > kMaxCodeLength) return false;
  for (char c : code)
    if (!is_alnum(c)) return false;
  return true;
}

void encode(const LinkRecord& r, std::string& out) {
  out.clear();
  records::Writer w(out);
  w.u8(records::kSchemaVersion);
  w.str(r.url);
  w.str(r.domain);
  w.varint(r.message_id);
  w.svarint(r.created);
  w.svarint(r.expires);
  w.varint(r.clicks);
}

bool decode(std::string_view in, LinkRecord& r) {
  records::Reader rd(in);
  if (rd.u8() == 0) return false;
  r.url = rd.str();
  r.domain = rd.str();
  r.message_id = rd.varint();
  r.created = rd.svarint();
  r.expires = rd.svarint();
  r.clicks = rd.varint();
  return rd.ok() && !r.url.empty();
}

Shortened shorten_text(const Txn& txn, const Store& store, std::string_view text,
                       const LinkShortening& settings, std::int64_t now) {
  Shortened result;
  if (!settings.enabled || settings.domain.empty()) {
    result.text = text;
    return result;
  }
  const std::vector<FoundLink> found = find_links(text);
  if (found.empty()) {
    result.text = text;
    return result;
  }
  std::size_t last = 0;
  for (const FoundLink& f : found) {
    result.text.append(text.substr(last, f.pos - last));
    last = f.pos + f.len;
    if (on_domain(f.target, settings.domain)) {
      result.text.append(text.substr(f.pos, f.len));
      continue;
    }
    const LinkRecord* same = nullptr;
    for (const auto& l : result.links)
      if (l.url == f.target) same = &l;
    std::string code;
    if (same != nullptr) {
      code = same->code;
    } else {
      for (int draw = 0; draw < kMaxDraws && code.empty(); ++draw) {
        std::string candidate = random_link_code();
        bool taken = txn.get(store.links, candidate).has_value();
        for (const auto& l : result.links) taken = taken || l.code == candidate;
        if (!taken) code = std::move(candidate);
      }
      if (code.empty()) throw StorageError("no free short link code", 0);
      LinkRecord rec;
      rec.code = code;
      rec.url = f.target;
      rec.domain = settings.domain;
      rec.created = now;
      rec.expires = now + settings.expiry_seconds;
      result.links.push_back(std::move(rec));
    }
    result.text += "https://" + settings.domain + "/" + code;
  }
  result.text.append(text.substr(last));
  return result;
}

void store_links(Txn& txn, const Store& store, std::vector<LinkRecord>& links,
                 std::uint64_t message_id) {
  std::string buf;
  for (auto& l : links) {
    l.message_id = message_id;
    encode(l, buf);
    txn.put(store.links, l.code, buf);
    txn.put(store.link_msg, link_msg_key(message_id, l.code), {});
  }
}

std::optional<LinkRecord> find_link(const Txn& txn, const Store& store, std::string_view code) {
  if (!valid_link_code(code)) return std::nullopt;
  const auto v = txn.get(store.links, code);
  if (!v) return std::nullopt;
  LinkRecord r;
  if (!decode(*v, r)) return std::nullopt;
  r.code = code;
  return r;
}

std::vector<LinkRecord> links_of_message(const Txn& txn, const Store& store,
                                         std::uint64_t message_id) {
  std::vector<LinkRecord> out;
  std::string prefix;
  records::put_be64(prefix, message_id);
  Cursor c(txn, store.link_msg);
  for (bool ok = c.seek(prefix); ok && c.key().starts_with(prefix); ok = c.next()) {
    if (auto l = find_link(txn, store, c.key().substr(prefix.size()))) out.push_back(*l);
  }
  return out;
}

bool add_link_clicks(Txn& txn, const Store& store, std::string_view code, std::uint64_t clicks) {
  auto l = find_link(txn, store, code);
  if (!l) return false;
  l->clicks += clicks;
  std::string buf;
  encode(*l, buf);
  txn.put(store.links, code, buf);
  return true;
}

}  // namespace twoway::engine
