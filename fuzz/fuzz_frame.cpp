// libFuzzer target for the framer and the PDU decoder: arbitrary bytes as a TCP stream.
// Every frame that decodes must re-encode (leniently) and decode again to the same header.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "smpp/codec.hpp"

using namespace twoway::smpp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  EncodeOptions lenient;
  lenient.enforce_cstring_max = false;
  lenient.max_short_message = 255;
  std::string out;
  while (!rest.empty()) {
    const auto check = check_frame(rest, 4096);
    if (check.kind != FrameCheck::Kind::ready) break;
    Pdu pdu;
    const auto error = decode(rest.substr(0, check.length), pdu);
    if (!error) {
      out.clear();
      if (!encode(pdu, out, lenient)) {
        Pdu again;
        if (decode(out, again)) std::abort();
        if (again.header.command_id != pdu.header.command_id) std::abort();
        if (again.header.sequence_number != pdu.header.sequence_number) std::abort();
      }
    } else {
      (void)make_response(pdu.header, command_status_for(error.code));
    }
    rest.remove_prefix(check.length);
  }
  return 0;
}
