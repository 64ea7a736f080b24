// Encoding choice, segment counting and the cut into submit_sm parts for outbound text.
#include "smpp/segment.hpp"

#include "smpp/charset.hpp"
#include "smpp/gsm7.hpp"

namespace twoway::smpp {
namespace {

constexpr std::size_t kMaxShortMessage = 140;  // TP-UD octets on the air interface

// A look-alike replacement: up to 3 ASCII characters (all in the GSM alphabet).
struct Lookalike {
  char text[3] = {};
  std::uint8_t len = 0;
  bool found = false;
};

constexpr Lookalike make(const char* s, std::uint8_t len) {
  Lookalike l;
  for (std::uint8_t i = 0; i < len; ++i) l.text[i] = s[i];
  l.len = len;
  l.found = true;
  return l;
}

Lookalike lookalike(char32_t cp) noexcept {
  if (cp >= 0xFF01 && cp <= 0xFF5E) {  // fullwidth ASCII
    const char c = static_cast<char>(cp - 0xFEE0);
    return c == '`' ? make("'", 1) : make(&c, 1);
  }
  switch (cp) {
    case 0x0009:
    case 0x00A0:
    case 0x2000:
    case 0x2001:
    case 0x2002:
    case 0x2003:
    case 0x2004:
    case 0x2005:
    case 0x2006:
    case 0x2007:
    case 0x2008:
    case 0x2009:
    case 0x200A:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return make(" ", 1);
    case 0x00AD:
    case 0x200B:
    case 0x200C:
    case 0x200D:
    case 0x2060:
    case 0xFEFF:
      return make("", 0);
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2043:
    case 0x2212:
    case 0xFE58:
    case 0xFE63:
      return make("-", 1);
    case 0x0060:
    case 0x00B4:
    case 0x02B9:
    case 0x02BC:
    case 0x02C8:
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x201B:
    case 0x2032:
    case 0x2035:
      return make("'", 1);
    case 0x00AB:
    case 0x00BB:
    case 0x02BA:
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x201F:
    case 0x2033:
    case 0x2036:
      return make("\"", 1);
    case 0x2039:
      return make("<", 1);
    case 0x203A:
      return make(">", 1);
    case 0x2024:
      return make(".", 1);
    case 0x2026:
      return make("...", 3);
    case 0x2044:
    case 0x2215:
      return make("/", 1);
    case 0x02C6:
      return make("^", 1);
    case 0x02DC:
      return make("~", 1);
    default:
      return {};
  }
}

// Greedy filling of parts of `cap` units, never splitting a character of `cost` units.
struct PartFill {
  std::size_t cap;
  std::size_t parts = 1;
  std::size_t used = 0;
  void add(std::size_t cost) noexcept {
    if (used + cost > cap) {
      ++parts;
      used = 0;
    }
    used += cost;
  }
};

// GSM cost of each ASCII character, without and with the look-alike pass (tab and backtick are
// the only ASCII look-alikes). 0 = not in the alphabet.
struct AsciiCosts {
  std::uint8_t plain[128];
  std::uint8_t smart[128];
};

const AsciiCosts& ascii_costs() noexcept {
  static const AsciiCosts costs = [] {
    AsciiCosts c{};
    for (char32_t b = 0; b < 128; ++b) {
      c.plain[b] = static_cast<std::uint8_t>(gsm7::septet_cost(b));
      const Lookalike l = lookalike(b);
      c.smart[b] =
          l.found
              ? static_cast<std::uint8_t>(gsm7::septet_cost(static_cast<unsigned char>(l.text[0])))
              : c.plain[b];
    }
    return c;
  }();
  return costs;
}

// Cuts `encoded` (units of 2 octets for UCS-2, else 1) into parts of at most `cap` units, moving
// the cut back one unit where it would separate an ESC from its character or a surrogate pair.
template <typename Emit>
void cut(std::string_view encoded, TextEncoding enc, std::size_t cap, Emit emit) {
  const std::size_t unit = enc == TextEncoding::ucs2 ? 2 : 1;
  const std::size_t n = encoded.size() / unit;
  std::size_t start = 0;
  while (start < n) {
    std::size_t end = start + cap < n ? start + cap : n;
    if (end < n) {
      if (enc == TextEncoding::gsm7 &&
          static_cast<std::uint8_t>(encoded[end - 1]) == gsm7::escape) {
        --end;  // ESC only ever starts a pair in our encoding
      } else if (enc == TextEncoding::ucs2) {
        const auto hi = static_cast<unsigned char>(encoded[2 * (end - 1)]);
        if (hi >= 0xD8 && hi <= 0xDB) --end;  // high surrogate: keep the pair together
      }
    }
    emit(encoded.substr(start * unit, (end - start) * unit));
    start = end;
  }
}

}  // namespace

std::string smart_replace(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  std::size_t pos = 0;
  while (pos < utf8.size()) {
    const char32_t cp = utf8_next(utf8, pos);
    const Lookalike l = lookalike(cp);
    if (l.found) {
      out.append(l.text, l.len);
    } else {
      utf8_append(out, cp);
    }
  }
  return out;
}

SegmentCount count_segments(std::string_view utf8, const SegmentOptions& options) {
  // Pass 1: totals per encoding, and whether any character costs two units. Without such
  // characters the greedy part count is a division; with them, pass 2 replays the greedy fill.
  const bool smart = options.smart_encoding;
  const AsciiCosts& ascii = ascii_costs();
  const std::uint8_t* ascii_cost = smart ? ascii.smart : ascii.plain;
  std::size_t septets = 0, units = 0, octets = 0;
  bool gsm_ok = true, lat_ok = options.allow_latin1;
  bool gsm_pairs = false, ucs_pairs = false;

  const std::size_t size = utf8.size();
  std::size_t pos = 0;
  while (pos < size) {
    const auto b = static_cast<unsigned char>(utf8[pos]);
    if (b < 0x80) {
      ++pos;
      ++units;
      octets += lat_ok;
      const unsigned cost = ascii_cost[b];
      septets += cost;
      gsm_pairs |= cost == 2;
      gsm_ok &= cost != 0;
      continue;
    }
    const char32_t cp = utf8_next(utf8, pos);
    const bool astral = cp >= 0x10000;
    units += astral ? 2 : 1;
    ucs_pairs |= astral;
    if (lat_ok) {
      if (cp < 0x100) {
        ++octets;
      } else {
        lat_ok = false;
      }
    }
    if (!gsm_ok) continue;
    if (smart) {
      const Lookalike l = lookalike(cp);
      if (l.found) {
        for (std::uint8_t i = 0; i < l.len; ++i) {
          const unsigned cost = gsm7::septet_cost(static_cast<unsigned char>(l.text[i]));
          septets += cost;
          gsm_pairs |= cost == 2;
        }
        continue;
      }
    }
    const unsigned cost = gsm7::septet_cost(cp);
    septets += cost;
    gsm_pairs |= cost == 2;
    gsm_ok &= cost != 0;
  }

  SegmentCount c;
  bool pairs;
  if (gsm_ok) {
    c = {TextEncoding::gsm7, 1, septets};
    pairs = gsm_pairs;
  } else if (lat_ok) {
    c = {TextEncoding::latin1, 1, octets};
    pairs = false;
  } else {
    c = {TextEncoding::ucs2, 1, units};
    pairs = ucs_pairs;
  }
  const PartLimits limits = part_limits(c.encoding, options.concatenation);
  if (c.units <= limits.single) return c;
  if (!pairs) {
    c.segments = (c.units + limits.multi - 1) / limits.multi;
    return c;
  }

  // Pass 2: greedy fill, a two-unit character never straddling two parts.
  PartFill fill{limits.multi};
  pos = 0;
  while (pos < size) {
    const char32_t cp = utf8_next(utf8, pos);
    if (c.encoding == TextEncoding::ucs2) {
      fill.add(cp >= 0x10000 ? 2 : 1);
      continue;
    }
    if (smart) {
      const Lookalike l = lookalike(cp);
      if (l.found) {
        for (std::uint8_t i = 0; i < l.len; ++i)
          fill.add(gsm7::septet_cost(static_cast<unsigned char>(l.text[i])));
        continue;
      }
    }
    fill.add(gsm7::septet_cost(cp));
  }
  c.segments = fill.parts;
  return c;
}

SegmentPlan plan_segments(std::string_view utf8, const SegmentOptions& options) {
  const SegmentCount count = count_segments(utf8, options);
  SegmentPlan plan;
  plan.encoding = count.encoding;
  plan.data_coding = data_coding_for(count.encoding);
  plan.segments = count.segments;
  plan.units = count.units;

  const Concatenation concat = options.concatenation;
  if (concat != Concatenation::payload && count.segments > max_parts) {
    plan.fits = false;
    return plan;
  }

  // The whole text in the chosen encoding (GSM-7 unpacked at this stage).
  std::string encoded;
  switch (count.encoding) {
    case TextEncoding::gsm7:
      if (options.smart_encoding) {
        (void)gsm7::encode(smart_replace(utf8), encoded, gsm7::OnUnmappable::replace);
      } else {
        (void)gsm7::encode(utf8, encoded, gsm7::OnUnmappable::replace);
      }
      break;
    case TextEncoding::ucs2:
      (void)encode_ucs2(utf8, encoded);
      break;
    case TextEncoding::latin1:
      (void)encode_latin1(utf8, encoded);
      break;
  }
  const bool packed = options.gsm7_packed && count.encoding == TextEncoding::gsm7;

  if (concat == Concatenation::payload) {
    if (packed) {
      gsm7::pack(encoded, plan.payload);
    } else {
      plan.payload = std::move(encoded);
    }
    if (plan.payload.size() > max_payload_octets) {
      plan.payload.clear();
      plan.fits = false;
      return plan;
    }
    plan.parts.emplace_back();
    return plan;
  }

  if (count.segments == 1) {
    Segment& part = plan.parts.emplace_back();
    if (packed) {
      gsm7::pack(encoded, part.short_message, 0, kMaxShortMessage);
    } else {
      part.short_message = std::move(encoded);
    }
    return plan;
  }

  const std::size_t total = count.segments;
  const std::size_t cap = part_limits(count.encoding, concat).multi;
  plan.parts.reserve(total);
  cut(encoded, count.encoding, cap, [&](std::string_view chunk) {
    Segment& part = plan.parts.emplace_back();
    const auto seq = static_cast<std::uint8_t>(plan.parts.size());
    std::string& sm = part.short_message;
    std::size_t udh_octets = 0;
    if (concat == Concatenation::udh8) {
      sm.reserve(6 + chunk.size());
      sm.push_back('\x05');
      sm.push_back('\x00');
      sm.push_back('\x03');
      sm.push_back(static_cast<char>(options.reference & 0xFF));
      sm.push_back(static_cast<char>(total));
      sm.push_back(static_cast<char>(seq));
      part.esm_class = 0x40;
      udh_octets = 6;
    } else if (concat == Concatenation::udh16) {
      sm.reserve(7 + chunk.size());
      sm.push_back('\x06');
      sm.push_back('\x08');
      sm.push_back('\x04');
      sm.push_back(static_cast<char>(options.reference >> 8));
      sm.push_back(static_cast<char>(options.reference & 0xFF));
      sm.push_back(static_cast<char>(total));
      sm.push_back(static_cast<char>(seq));
      part.esm_class = 0x40;
      udh_octets = 7;
    } else {  // sar
      part.sar_ref = options.reference;
      part.sar_total = static_cast<std::uint8_t>(total);
      part.sar_seq = seq;
    }
    if (packed) {
      gsm7::pack(chunk, sm, gsm7::fill_bits(udh_octets), kMaxShortMessage - udh_octets);
    } else {
      sm.append(chunk);
    }
  });
  return plan;
}

}  // namespace twoway::smpp
