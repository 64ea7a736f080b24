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

std::size_t segments_for(std::size_t units, const PartFill& fill, std::size_t single) noexcept {
  return units <= single ? 1 : fill.parts;
}

// Cuts `encoded` (units of `unit_bytes` octets) into parts of at most `cap` units, moving the
// cut back one unit where it would separate an ESC from its character or a surrogate pair.
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
  const PartLimits gsm_limits = part_limits(TextEncoding::gsm7, options.concatenation);
  const PartLimits ucs_limits = part_limits(TextEncoding::ucs2, options.concatenation);
  const PartLimits lat_limits = part_limits(TextEncoding::latin1, options.concatenation);
  PartFill gsm{gsm_limits.multi}, ucs{ucs_limits.multi}, lat{lat_limits.multi};
  std::size_t septets = 0, units = 0, octets = 0;
  bool gsm_ok = true;
  bool lat_ok = options.allow_latin1;

  std::size_t pos = 0;
  while (pos < utf8.size()) {
    const char32_t cp = utf8_next(utf8, pos);
    const std::size_t u = cp >= 0x10000 ? 2 : 1;
    units += u;
    ucs.add(u);
    if (lat_ok) {
      if (cp < 0x100) {
        ++octets;
        lat.add(1);
      } else {
        lat_ok = false;
      }
    }
    if (!gsm_ok) continue;
    if (options.smart_encoding) {
      const Lookalike l = lookalike(cp);
      if (l.found) {
        for (std::uint8_t i = 0; i < l.len; ++i) {
          const unsigned cost = gsm7::septet_cost(static_cast<unsigned char>(l.text[i]));
          septets += cost;
          gsm.add(cost);
        }
        continue;
      }
    }
    const unsigned cost = gsm7::septet_cost(cp);
    if (cost == 0) {
      gsm_ok = false;
      continue;
    }
    septets += cost;
    gsm.add(cost);
  }

  if (gsm_ok) return {TextEncoding::gsm7, segments_for(septets, gsm, gsm_limits.single), septets};
  if (lat_ok) return {TextEncoding::latin1, segments_for(octets, lat, lat_limits.single), octets};
  return {TextEncoding::ucs2, segments_for(units, ucs, ucs_limits.single), units};
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
