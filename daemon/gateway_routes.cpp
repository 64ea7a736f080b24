// The number -> bind routing and the per-SMSC text options. See gateway_routes.hpp.
#include "daemon/gateway_routes.hpp"

#include "daemon/gateway_util.hpp"

namespace twoway::daemon {
namespace {

smpp::DefaultAlphabet default_alphabet(Alphabet a) {
  switch (a) {
    case Alphabet::gsm7:
      return smpp::DefaultAlphabet::gsm7_unpacked;
    case Alphabet::gsm7_packed:
      return smpp::DefaultAlphabet::gsm7_packed;
    case Alphabet::latin1:
      return smpp::DefaultAlphabet::latin1;
    case Alphabet::ascii:
      return smpp::DefaultAlphabet::ascii;
  }
  return smpp::DefaultAlphabet::gsm7_unpacked;
}

smpp::Concatenation concatenation(Concatenation c) {
  switch (c) {
    case Concatenation::udh8:
      return smpp::Concatenation::udh8;
    case Concatenation::udh16:
      return smpp::Concatenation::udh16;
    case Concatenation::sar:
      return smpp::Concatenation::sar;
    case Concatenation::payload:
      return smpp::Concatenation::payload;
  }
  return smpp::Concatenation::udh8;
}

}  // namespace

const std::string* Routes::smsc_for(std::string_view number) const {
  auto it = number_smsc.find(gateway_util::wire_number(number));
  return it == number_smsc.end() ? nullptr : &it->second;
}

smpp::DecodeOptions Routes::decoding(const std::string& smsc) const {
  auto it = decode_options.find(smsc);
  return it == decode_options.end() ? smpp::DecodeOptions{} : it->second;
}

smpp::SegmentOptions Routes::segmenting(const std::string& smsc) const {
  auto it = segment_options.find(smsc);
  return it == segment_options.end() ? smpp::SegmentOptions{} : it->second;
}

void NumberRoutes::set(const Config& config) {
  auto routes = std::make_shared<Routes>();
  for (const auto& n : config.numbers)
    routes->number_smsc[gateway_util::wire_number(n.number)] = n.smsc;
  for (const auto& sc : config.smscs) {
    smpp::DecodeOptions d;
    d.default_alphabet = default_alphabet(sc.default_alphabet);
    routes->decode_options[sc.name] = d;
    smpp::SegmentOptions s;
    s.concatenation = concatenation(sc.concatenation);
    s.gsm7_packed = sc.default_alphabet == Alphabet::gsm7_packed;
    routes->segment_options[sc.name] = s;
  }
  std::lock_guard lock(mu_);
  routes_ = std::move(routes);
}

std::shared_ptr<const Routes> NumberRoutes::get() const {
  std::lock_guard lock(mu_);
  return routes_;
}

}  // namespace twoway::daemon
