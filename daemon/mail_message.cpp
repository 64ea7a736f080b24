// The notification mail's text, HTML and MIME encoding: see mail_message.hpp.
#include "daemon/mail_message.hpp"

#include <openssl/evp.h>

#include <ctime>

namespace twoway::daemon {
namespace {

constexpr std::size_t kMaxLine = 76;

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

/// The mail's name for a customer: "Ann Lee (+16502530001)" or the number alone.
std::string who(const MailConversation& c) {
  return c.name.empty() ? c.number : c.name + " (" + c.number + ")";
}

/// "Mountain View, CA, 09:14 local time (America/Los_Angeles)", the parts that are known.
std::string where_and_when(const MailConversation& c) {
  std::string out = c.location;
  if (!c.local_time.empty()) {
    if (!out.empty()) out += ", ";
    out += c.local_time + " local time";
    if (!c.time_zone.empty()) out += " (" + c.time_zone + ")";
  }
  return out;
}

std::string waiting_line(const MailConversation& c) {
  std::string out = std::to_string(c.new_texts) + (c.new_texts == 1 ? " new text" : " new texts");
  if (c.waiting_seconds >= 0)
    out += ", waiting " + waited_text(c.waiting_seconds);
  else
    out += ", answered since";
  return out;
}

std::string thread_command(const MailConversation& c) {
  return "twowayctl thread " + c.number;
}

std::string footer(const MailDigest& d) {
  return "Sent by twowayd: at most one mail every " + d.digest_text +
         " (twowayctl settings notifications.email.digest).";
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string rfc5322_date(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string waited_text(std::int64_t s) {
  if (s < 0) s = 0;
  if (s < 60) return std::to_string(s) + " s";
  const std::int64_t m = s / 60;
  if (m < 60) return std::to_string(m) + " min";
  const std::int64_t h = m / 60;
  if (h < 24)
    return std::to_string(h) + " h" + (m % 60 ? " " + std::to_string(m % 60) + " min" : "");
  const std::int64_t d = h / 24;
  return std::to_string(d) + " d" + (h % 24 ? " " + std::to_string(h % 24) + " h" : "");
}

std::string preview_text(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 3);
  bool cut = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= max_bytes) {
      cut = true;
      break;
    }
    const char c = text[i];
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  }
  if (cut) {
    // Back to the start of the character that was cut through.
    while (!out.empty() && is_continuation(static_cast<unsigned char>(out.back()))) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    out += "\xE2\x80\xA6";  // …
  }
  return out;
}

std::string encode_header_text(std::string_view text, std::size_t name_length) {
  bool plain = name_length + 2 + text.size() <= 78;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) plain = false;
  }
  if (plain && text.find("=?") == std::string_view::npos) return std::string(text);
  // Lines of at most 76 characters: an encoded-word costs 12 characters besides its base64 (4
  // per 3 bytes); the first shares its line with "Name: ", the others follow one space. A
  // character is never split.
  const auto bytes_for = [](std::size_t taken) {
    const std::size_t room = kMaxLine > taken + 12 ? kMaxLine - taken - 12 : 4;
    return std::max<std::size_t>(3, room / 4 * 3);
  };
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t chunk = bytes_for(out.empty() ? name_length + 2 : 1);
    std::size_t end = std::min(text.size(), pos + chunk);
    while (end < text.size() && end > pos && is_continuation(static_cast<unsigned char>(text[end])))
      --end;
    if (end == pos) end = std::min(text.size(), pos + chunk);  // malformed UTF-8: cut anyway
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(pos, end - pos)) + "?=";
    pos = end;
  }
  return out;
}

std::string quoted_printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t line = 0;  // characters on the current output line
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\n' || text[i] == '\r') {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      // Whitespace before a hard break is encoded (it would be stripped in transit).
      if (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
        const char ws = out.back();
        out.pop_back();
        out += ws == ' ' ? "=20" : "=09";
      }
      out += "\r\n";
      line = 0;
      ++i;
      continue;
    }
    // One character: its bytes stay on one line.
    std::size_t len = 1;
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead >= 0xC0) {
      while (i + len < text.size() && is_continuation(static_cast<unsigned char>(text[i + len])))
        ++len;
    }
    std::string piece;
    for (std::size_t k = 0; k < len; ++k) {
      const auto u = static_cast<unsigned char>(text[i + k]);
      const bool literal = (u >= 33 && u <= 126 && u != '=') || u == ' ' || u == '\t';
      // A '.' opening a line is encoded too: some relays mangle it.
      if (literal && !(u == '.' && line == 0 && piece.empty())) {
        piece += static_cast<char>(u);
      } else {
        piece += '=';
        piece += kHex[u >> 4];
        piece += kHex[u & 15];
      }
    }
    if (line + piece.size() > kMaxLine - 1) {
      out += "=\r\n";
      line = 0;
    }
    out += piece;
    line += piece.size();
    i += len;
  }
  if (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
    const char ws = out.back();
    out.pop_back();
    out += ws == ' ' ? "=20" : "=09";
  }
  return out;
}

std::string mail_subject(const MailDigest& d) {
  std::string s = d.organization.empty() ? "" : d.organization + ": ";
  const std::size_t n = d.conversations.size() + d.more_conversations;
  if (n == 1 && !d.conversations.empty()) {
    const auto& c = d.conversations.front();
    s += (c.new_texts == 1 ? "new text from " : std::to_string(c.new_texts) + " new texts from ") +
         who(c);
  } else {
    s += std::to_string(n) + " conversations with new texts";
  }
  return s;
}

std::string mail_text(const MailDigest& d) {
  std::string out;
  const std::size_t n = d.conversations.size() + d.more_conversations;
  out += n == 1 ? "A customer wrote.\n" : std::to_string(n) + " conversations got new texts.\n";
  for (const auto& c : d.conversations) {
    out += "\n" + who(c) + "\n";
    if (auto w = where_and_when(c); !w.empty()) out += "  " + w + "\n";
    out += "  " + waiting_line(c) + "\n";
    if (c.revocation_flagged)
      out +=
          "  flagged revocation?: decide with twowayctl revocation " + c.number + " opt-out|keep\n";
    for (const auto& t : c.texts) out += "  > " + t + "\n";
    if (c.new_texts > c.texts.size())
      out += "  (and " + std::to_string(c.new_texts - c.texts.size()) + " earlier)\n";
    out += "  Open it: " + thread_command(c) + "\n";
  }
  if (d.more_conversations > 0)
    out += "\nAnd " + std::to_string(d.more_conversations) +
           " more conversations: twowayctl inbox --unread\n";
  out += "\n-- \n" + footer(d) + "\n";
  return out;
}

std::string mail_html(const MailDigest& d) {
  std::string out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" +
                    html_escape(mail_subject(d)) +
                    "</title></head>\n<body style=\"font-family: sans-serif\">\n";
  const std::size_t n = d.conversations.size() + d.more_conversations;
  out += n == 1 ? "<p>A customer wrote.</p>\n"
                : "<p>" + std::to_string(n) + " conversations got new texts.</p>\n";
  for (const auto& c : d.conversations) {
    out += "<h3>" + html_escape(who(c)) + "</h3>\n<p>";
    if (auto w = where_and_when(c); !w.empty()) out += html_escape(w) + "<br>\n";
    out += html_escape(waiting_line(c));
    if (c.revocation_flagged)
      out +=
          "<br>\n<strong>flagged revocation?</strong>: decide with <code>twowayctl "
          "revocation " +
          html_escape(c.number) + " opt-out|keep</code>";
    out += "</p>\n";
    for (const auto& t : c.texts)
      out += "<blockquote style=\"margin: 0 0 0.5em 1em\">" + html_escape(t) + "</blockquote>\n";
    if (c.new_texts > c.texts.size())
      out += "<p>(and " + std::to_string(c.new_texts - c.texts.size()) + " earlier)</p>\n";
    out += "<p>Open it: <code>" + html_escape(thread_command(c)) + "</code></p>\n";
  }
  if (d.more_conversations > 0)
    out += "<p>And " + std::to_string(d.more_conversations) +
           " more conversations: <code>twowayctl inbox --unread</code></p>\n";
  out += "<hr>\n<p style=\"color: #666\">" + html_escape(footer(d)) + "</p>\n</body></html>\n";
  return out;
}

std::string mail_message(const MailDigest& d) {
  std::string to;
  for (const auto& a : d.to) to += (to.empty() ? "" : ",\r\n ") + a;
  const auto at = d.from.rfind('@');
  const std::string domain = at == std::string::npos ? "localhost" : d.from.substr(at + 1);
  const std::string boundary = "=_twoway_" + d.boundary_token;
  std::string m;
  m += "Date: " + rfc5322_date(d.now_unix) + "\r\n";
  m += "From: " + d.from + "\r\n";
  m += "To: " + to + "\r\n";
  m += "Message-ID: <" + std::to_string(d.now_unix) + "." + d.message_id_token + "@" + domain +
       ">\r\n";
  m += "Subject: " + encode_header_text(mail_subject(d), 7) + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
  m += "\r\n";
  m += "--" + boundary + "\r\n";
  m += "Content-Type: text/plain; charset=UTF-8\r\n";
  m += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  m += quoted_printable(mail_text(d)) + "\r\n";
  m += "--" + boundary + "\r\n";
  m += "Content-Type: text/html; charset=UTF-8\r\n";
  m += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  m += quoted_printable(mail_html(d)) + "\r\n";
  m += "--" + boundary + "--\r\n";
  return m;
}

}  // namespace twoway::daemon
