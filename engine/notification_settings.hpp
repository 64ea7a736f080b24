// The email notification settings (conversations.notifications.email): their checks, their
// names, and their own record in the `settings` database.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/store.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

// Bounds: a digest from ten seconds to a day; at most 20 recipients.
inline constexpr std::int64_t kMinDigestSeconds = 10;
inline constexpr std::int64_t kMaxDigestSeconds = 24 * 3600;
inline constexpr std::size_t kMaxEmailRecipients = 20;

// Why `address` is not a plain mail address ("local@domain.example"), or "" when it is. Only
// the addr-spec form is taken (no display names, comments or quoted local parts): the address
// goes into SMTP commands and headers as it is.
[[nodiscard]] std::string email_address_problem(std::string_view address);

[[nodiscard]] const char* to_string(SmtpTls tls) noexcept;
[[nodiscard]] std::optional<SmtpTls> parse_smtp_tls(std::string_view text);

// True for "localhost", 127.0.0.0/8 and ::1: a relay on this machine.
[[nodiscard]] bool is_loopback_host(std::string_view host);

// Problems that make the settings unusable, each as "notifications.email.KEY: problem".
// Enabled settings need a sender, a recipient and a relay; a username needs a password file; a
// password never goes in clear to a relay on another machine (tls: none). Whether the
// password file can be read is the daemon's check (it is the one that reads it).
[[nodiscard]] std::vector<std::string> email_notification_errors(const EmailNotifications& e);

// The settings in their own record, next to the conversation settings; reading leaves `e` as
// it is when none was stored (a store written before they existed: the conversation record's
// one address then became the recipient, records::decode).
void write_email_notifications(Txn& txn, const Store& store, const EmailNotifications& e);
void read_email_notifications(const Txn& txn, const Store& store, EmailNotifications& e);
// That record's bytes; decoding leaves `e` as it is when they are not one.
void encode_email_notifications(const EmailNotifications& e, std::string& out);
void decode_email_notifications(std::string_view in, EmailNotifications& e);

}  // namespace twoway::engine
