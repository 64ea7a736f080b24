// MO message templates for the SMSC simulator (see mo_mix.hpp). The bytes are written here by
// hand on purpose: the simulator must not share the gateway's text codecs, or a bug in them
// would cancel out in the tests.
#include "tools/smsc_sim/mo_mix.hpp"

#include <algorithm>

namespace twoway::sim {

namespace {

// Characters whose GSM 03.38 default-alphabet code equals their ASCII code.
bool gsm_same_as_ascii(unsigned char c) {
  if (c == '\n' || c == '\r') return true;
  if (c < 0x20 || c > 0x7A) return false;
  switch (c) {
    case '@':
    case '$':
    case '[':
    case '\\':
    case ']':
    case '^':
    case '_':
    case '`':
      return false;
    default:
      return true;
  }
}

std::string udh8(std::uint8_t total, std::uint8_t seq) {
  return std::string{
      '\x05', '\x00', '\x03', '\x00', static_cast<char>(total), static_cast<char>(seq)};
}

void add_order(MoTemplate& t, bool out_of_order) {
  t.send_order.clear();
  for (std::size_t i = 0; i < t.parts.size(); ++i) {
    t.send_order.push_back(static_cast<std::uint16_t>(i));
  }
  if (out_of_order) std::reverse(t.send_order.begin(), t.send_order.end());
}

std::string wap_push_mms_notification() {
  std::string m;
  m += "\x01\x06\x03\xBE\xAF\x84";  // TID, push, headers length, mms content type, app id
  m += "\x8C\x82";                  // X-Mms-Message-Type: m-notification-ind
  m += "\x98";
  m += "T5F3A0C1";
  m.push_back('\0');    // X-Mms-Transaction-ID
  m += "\x8D\x90";      // X-Mms-MMS-Version: 1.0
  m += "\x89\x18\x80";  // From: length, address-present
  m += "+15550100200/TYPE=PLMN";
  m.push_back('\0');
  m += "\x8A\x80";                      // X-Mms-Message-Class: personal
  m += "\x8E\x02\x1F\x40";              // X-Mms-Message-Size: 8000
  m += "\x88\x05\x81\x03\x03\xF4\x80";  // X-Mms-Expiry: relative 259200 s
  m += "\x83";
  m += "http://mms.example.net/m/Ab3xY9";
  m.push_back('\0');  // X-Mms-Content-Location
  return m;
}

}  // namespace

std::string utf8_to_ucs2(std::string_view s) {
  std::string out;
  out.reserve(s.size() * 2);
  const auto put = [&](std::uint32_t u) {
    out.push_back(static_cast<char>(u >> 8));
    out.push_back(static_cast<char>(u & 0xFF));
  };
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0xFFFD;
    std::size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 0x6 && i + 1 < s.size()) {
      cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
      len = 2;
    } else if ((c >> 4) == 0xE && i + 2 < s.size()) {
      cp = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
      len = 3;
    } else if ((c >> 3) == 0x1E && i + 3 < s.size()) {
      cp = ((c & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12) |
           ((static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
      len = 4;
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put(0xD800 + (cp >> 10));
      put(0xDC00 + (cp & 0x3FF));
    } else {
      put(cp);
    }
  }
  return out;
}

MoTemplate text_template(std::string_view utf8, std::string kind, bool out_of_order) {
  MoTemplate t;
  t.kind = std::move(kind);
  t.text.assign(utf8);
  const bool gsm = std::all_of(utf8.begin(), utf8.end(), [](char c) {
    return gsm_same_as_ascii(static_cast<unsigned char>(c));
  });
  if (gsm) {
    if (utf8.size() <= 160) {
      t.parts.push_back(MoPart{0, 0x00, std::string(utf8), -1});
    } else {
      const std::size_t total = (utf8.size() + 152) / 153;
      for (std::size_t i = 0; i < total; ++i) {
        MoPart p{0x40, 0x00,
                 udh8(static_cast<std::uint8_t>(total), static_cast<std::uint8_t>(i + 1)), 3};
        p.short_message += utf8.substr(i * 153, 153);
        t.parts.push_back(std::move(p));
      }
    }
  } else {
    const std::string ucs2 = utf8_to_ucs2(utf8);
    if (ucs2.size() <= 140) {
      t.parts.push_back(MoPart{0, 0x08, ucs2, -1});
    } else {
      // 67 code units per part, never splitting a surrogate pair.
      std::vector<std::string> chunks;
      for (std::size_t pos = 0; pos < ucs2.size();) {
        std::size_t n = std::min<std::size_t>(134, ucs2.size() - pos);
        if (pos + n < ucs2.size()) {
          const auto hi = static_cast<unsigned char>(ucs2[pos + n - 2]);
          if (hi >= 0xD8 && hi <= 0xDB) n -= 2;
        }
        chunks.push_back(ucs2.substr(pos, n));
        pos += n;
      }
      for (std::size_t i = 0; i < chunks.size(); ++i) {
        MoPart p{0x40, 0x08,
                 udh8(static_cast<std::uint8_t>(chunks.size()), static_cast<std::uint8_t>(i + 1)),
                 3};
        p.short_message += chunks[i];
        t.parts.push_back(std::move(p));
      }
    }
  }
  if (t.parts.size() > 1 && t.kind == "text") t.kind = "multipart";
  add_order(t, out_of_order && t.parts.size() > 1);
  return t;
}

std::vector<MoTemplate> builtin_mix() {
  std::vector<MoTemplate> mix;
  mix.push_back(text_template("Hi, are you open on Saturday morning?", "text"));
  mix.push_back(text_template("STOP", "keyword"));
  mix.push_back(text_template("Can I move my appointment to 3pm tomorrow? Thanks!", "text"));
  mix.push_back(text_template("help", "keyword"));
  mix.push_back(
      text_template("Gr\xC3\xBC\xC3\x9F"
                    "e aus M\xC3\xBCnchen \xF0\x9F\x98\x80\xF0\x9F\x91\x8D",
                    "unicode"));
  mix.push_back(text_template(" Start ", "keyword"));
  std::string long_text =
      "Hello! I ordered the blue jacket last week (order 48213) and it still has not arrived. "
      "The tracking page says it left the depot on Monday but nothing has changed since then. "
      "Could you check with the courier and tell me when I can expect it? I need it by Friday "
      "for a trip, otherwise I would like to cancel and get a refund. Thank you very much.";
  mix.push_back(text_template(long_text, "multipart"));
  mix.push_back(text_template("Stop all", "keyword"));
  mix.push_back(text_template(long_text, "multipart_out_of_order", true));
  mix.push_back(
      text_template("\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82! "
                    "\xD0\x9A\xD0\xB0\xD0\xBA \xD0\xB4\xD0\xB5\xD0\xBB\xD0\xB0? "
                    "\xF0\x9F\x8E\x89",
                    "unicode"));
  std::string long_unicode;
  for (int i = 0; i < 9; ++i) long_unicode += "Caf\xC3\xA9 \xE2\x98\x95 ok \xF0\x9F\x98\x8A ";
  mix.push_back(text_template(long_unicode, "unicode_multipart", true));
  mix.push_back(text_template("HELP ", "keyword"));
  mix.push_back(text_template("unstop", "keyword"));
  {
    // WAP push (MMS notification) in two concatenated parts, then the carrier's text part.
    MoTemplate t;
    t.kind = "wap_push";
    t.text = "Sent you a picture";
    const std::string push = wap_push_mms_notification();
    const std::size_t half = push.size() / 2;
    for (int i = 0; i < 2; ++i) {
      MoPart p;
      p.esm_class = 0x40;
      p.data_coding = 0x04;
      p.short_message =
          std::string{'\x0B', '\x05', '\x04', '\x0B', '\x84', '\x23',
                      '\xF0', '\x00', '\x03', '\x00', '\x02', static_cast<char>(i + 1)};
      p.ref_offset = 9;
      p.short_message += i == 0 ? push.substr(0, half) : push.substr(half);
      t.parts.push_back(std::move(p));
    }
    t.parts.push_back(MoPart{0, 0x00, "Sent you a picture", -1});
    add_order(t, false);
    mix.push_back(std::move(t));
  }
  return mix;
}

}  // namespace twoway::sim
