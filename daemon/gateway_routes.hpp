// The number -> bind routing of the gateway: which SMSC serves each sending number, and the
// text options (decoding inbound, segmenting outbound) configured per SMSC.
//
// Threading: any thread. The routes are an immutable snapshot, replaced whole at reload; a
// reader takes the snapshot (one short lock to copy a shared_ptr) and reads it without locks.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "daemon/config.hpp"
#include "smpp/charset.hpp"
#include "smpp/reassembly.hpp"
#include "smpp/segment.hpp"

namespace twoway::daemon {

struct Routes {
  std::map<std::string, std::string> number_smsc;               // number (digits) -> smsc
  std::map<std::string, smpp::DecodeOptions> decode_options;    // by smsc
  std::map<std::string, smpp::SegmentOptions> segment_options;  // by smsc

  /// The SMSC that serves a sending number ("+1555..." or digits), if one does.
  [[nodiscard]] const std::string* smsc_for(std::string_view number) const;
  /// How inbound text from that SMSC is decoded (the defaults for an unknown name).
  [[nodiscard]] smpp::DecodeOptions decoding(const std::string& smsc) const;
  /// How outbound text for that SMSC is split (the defaults for an unknown name).
  [[nodiscard]] smpp::SegmentOptions segmenting(const std::string& smsc) const;
};

class NumberRoutes {
 public:
  /// Replaces the routes with the config's numbers[] and smscs[] text settings.
  void set(const Config& config);
  [[nodiscard]] std::shared_ptr<const Routes> get() const;

 private:
  mutable std::mutex mu_;  // guards the pointer only
  std::shared_ptr<const Routes> routes_ = std::make_shared<Routes>();
};

}  // namespace twoway::daemon
