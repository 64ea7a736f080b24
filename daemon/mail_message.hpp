// The notification mail: what staff read when customers write (who, where, their local time,
// what they wrote, how long they have waited, the command that opens the conversation), as an
// RFC 5322 / MIME message: multipart/alternative with text/plain and text/html parts in UTF-8,
// quoted-printable, an RFC 2047 subject, CRLF line ends. Pure functions: no clock, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace twoway::daemon {

/// One conversation with new free text since the last mail.
struct MailConversation {
  std::string number;                 ///< E.164 as stored ("+16502530001")
  std::string name;                   ///< the profile's name, "" when none
  std::string location;               ///< "Mountain View, CA", "" when unknown
  std::string local_time;             ///< the customer's local time "HH:MM", "" when unknown
  std::string time_zone;              ///< "America/Los_Angeles", "" when unknown
  std::vector<std::string> texts;     ///< the newest new texts, oldest first (a few at most)
  std::size_t new_texts = 0;          ///< how many arrived since the last mail (>= texts.size())
  std::int64_t waiting_seconds = -1;  ///< since the first unanswered text; -1: answered since
  bool revocation_flagged = false;    ///< flagged `revocation?`: staff must decide
};

struct MailDigest {
  std::string from;
  std::vector<std::string> to;
  std::string organization;  ///< the brand, for the subject ("Acme")
  std::int64_t now_unix = 0;
  std::string digest_text;  ///< "5m": the interval, named in the footer
  std::vector<MailConversation> conversations;
  std::size_t more_conversations = 0;  ///< further conversations not listed one by one
  std::string message_id_token;        ///< unique per mail (random hex)
  std::string boundary_token;          ///< random, for the MIME boundary
};

/// The subject line's text (before RFC 2047): "Acme: new text from Ann Lee (+1650...)" or
/// "Acme: 3 conversations with new texts".
[[nodiscard]] std::string mail_subject(const MailDigest& d);
/// The text/plain body (LF line ends; the message turns them into CRLF).
[[nodiscard]] std::string mail_text(const MailDigest& d);
/// The text/html body, every customer-supplied value HTML-escaped.
[[nodiscard]] std::string mail_html(const MailDigest& d);
/// The whole message with headers, CRLF line ends.
[[nodiscard]] std::string mail_message(const MailDigest& d);

/// RFC 2047 encoded-words (UTF-8, base64) folded to lines of at most 76 characters, or the text
/// as it is when it is printable ASCII and short enough.
[[nodiscard]] std::string encode_header_text(std::string_view text, std::size_t name_length);
/// Quoted-printable (RFC 2045) of UTF-8 text with LF line ends: CRLF hard breaks, soft breaks
/// keep lines at most 76 characters, multi-byte characters are never split across lines.
[[nodiscard]] std::string quoted_printable(std::string_view text);
/// &, <, >, " and ' as entities.
[[nodiscard]] std::string html_escape(std::string_view text);
/// "Mon, 07 Dec 2026 01:32:34 +0000".
[[nodiscard]] std::string rfc5322_date(std::int64_t unix_seconds);
/// "12 min", "2 h 5 min", "3 d 4 h", "40 s".
[[nodiscard]] std::string waited_text(std::int64_t seconds);
/// At most `max_bytes` of `text` ending on a UTF-8 boundary, "…" added when cut; line breaks
/// become spaces.
[[nodiscard]] std::string preview_text(std::string_view text, std::size_t max_bytes);

}  // namespace twoway::daemon
