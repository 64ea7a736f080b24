// Link shortening: finding the web addresses in an outbound text, drawing short codes, and the
// stored links (`links`: code -> the address, the message it went out in, expiry and clicks;
// `link_msg`: message id, code -> nothing, for the thread view).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/store.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

struct Context;

// A web address found in a text: where it is, and the address a redirect leads to (a bare
// "www." address gets "http://" in front; the site may upgrade the visitor to https).
struct FoundLink {
  std::size_t pos = 0;
  std::size_t len = 0;
  std::string target;
};

// The web addresses in `text`, in order: "http://" and "https://" (any case) followed by a host,
// and bare "www." addresses with a dot after "www.HOST" and not glued to a word, an e-mail
// address or a path. An address ends at whitespace, a control character, a non-ASCII byte or
// one of < > " `; trailing . , ; : ! ? ' and closing brackets without an opening one inside the
// address are left out (sentence punctuation, not the address).
[[nodiscard]] std::vector<FoundLink> find_links(std::string_view text);

// True when `address` (with or without scheme) is on `domain` (case-insensitive host match):
// already a short link, left as it is.
[[nodiscard]] bool on_domain(std::string_view address, std::string_view domain);

// A domain usable for short links: a host name of letters, digits, '-' and dots (at most 253
// bytes, labels of 1-63, no leading or trailing '-' in a label), no scheme, port or path.
[[nodiscard]] bool valid_link_domain(std::string_view domain);

// "HOST:PORT" or "[IPv6]:PORT" with a port from 0 to 65535 (0: any free port).
[[nodiscard]] bool valid_listen_address(std::string_view listen);

inline constexpr std::size_t kLinkCodeLength = 8;  // 62^8 = 2.2e14 codes
inline constexpr std::string_view kLinkAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// A code of `length` symbols of kLinkAlphabet from the kernel's CSPRNG (getrandom), each symbol
// uniform (bytes of 248 and above are drawn again: 248 = 4 x 62). Throws std::system_error when
// the kernel gives no random bytes.
[[nodiscard]] std::string random_link_code(std::size_t length = kLinkCodeLength);
// A code as the redirect server accepts it: 7 to 32 symbols of kLinkAlphabet.
[[nodiscard]] bool valid_link_code(std::string_view code);

// A stored short link (types.hpp).
using LinkRecord = ShortLink;

void encode(const LinkRecord& r, std::string& out);             // the code is the key, not stored
[[nodiscard]] bool decode(std::string_view in, LinkRecord& r);  // leaves r.code as it is

// What shortening made of a text: the text to send and the links to store with its message.
struct Shortened {
  std::string text;
  std::vector<LinkRecord> links;  // message_id still 0
};

// Inside the send's write transaction: every address in `text` not on the short domain becomes
// https://DOMAIN/CODE with a new code (unique in `links`, drawn again on a collision); the same
// address twice in one text gets one code. Nothing is stored yet (store_links does that once
// the message has its id).
[[nodiscard]] Shortened shorten_text(const Txn& txn, const Store& store, std::string_view text,
                                     const LinkShortening& settings, std::int64_t now);
// Stores the links of message `message_id` (`links` and `link_msg`).
void store_links(Txn& txn, const Store& store, std::vector<LinkRecord>& links,
                 std::uint64_t message_id);

// A stored link by code (a read transaction is enough); nullopt when there is none.
[[nodiscard]] std::optional<LinkRecord> find_link(const Txn& txn, const Store& store,
                                                  std::string_view code);
// The links of a message, in code order.
[[nodiscard]] std::vector<LinkRecord> links_of_message(const Txn& txn, const Store& store,
                                                       std::uint64_t message_id);
// Adds `clicks` to the link's count; false when there is no such link.
bool add_link_clicks(Txn& txn, const Store& store, std::string_view code, std::uint64_t clicks);

}  // namespace twoway::engine
