// deliver_sm / data_sm to one inbound value. See inbound.hpp.
#include "smpp/inbound.hpp"

#include "smpp/udh.hpp"

namespace twoway::smpp {
namespace {

template <class Body>
InboundOrigin origin_of(const Body& sm, std::string_view short_message) {
  InboundOrigin o;
  o.source_ton = sm.source_addr_ton;
  o.source_npi = sm.source_addr_npi;
  if (auto umr = tlv_uint(sm.tlvs, tag::user_message_reference))
    o.reference += "umr:" + std::to_string(*umr) + ";";
  if (auto sar = tlv_uint(sm.tlvs, tag::sar_msg_ref_num)) {
    o.reference += "sar:" + std::to_string(*sar) + "/" +
                   std::to_string(tlv_uint(sm.tlvs, tag::sar_total_segments).value_or(0)) + ";";
  }
  if (sm.esm_class & esm::udhi) {
    Udh udh;
    if (parse_udh(short_message, udh) == UdhStatus::ok) {
      if (auto c = udh.concat())
        o.reference += "udh:" + std::to_string(c->ref) + "/" + std::to_string(c->total) + ";";
    }
  }
  return o;
}

InboundReceipt receipt_of(const ReceiptFields& fields) {
  InboundReceipt r;
  std::string scratch;
  const auto info = parse_receipt(fields, scratch);
  if (!info || info->message_id.empty()) return r;
  r.has_id = true;
  r.message_id.assign(info->message_id);
  r.state = info->state;
  r.error.assign(info->err);
  if (r.error.empty() && info->network_error)
    r.error = std::to_string(info->network_error->network_type) + ":" +
              std::to_string(info->network_error->error_code);
  if (info->done_date) r.done_unix = info->done_date->unix_seconds();
  return r;
}

template <class Body>
InboundValue classify(std::string_view smsc, const Body& sm, std::string_view short_message,
                      const DecodeOptions& options) {
  if (is_receipt(sm.esm_class)) return receipt_of(receipt_fields(sm));
  InboundPart part = inbound_part(smsc, sm, 0, 0);
  if (auto whole = standalone_message(part)) {
    InboundWhole w;
    w.origin = origin_of(sm, short_message);
    w.message = std::move(*whole);
    w.decoded = decode_message_text(w.message, w.text, options);
    return w;
  }
  return InboundSegment{origin_of(sm, short_message), part};
}

}  // namespace

InboundValue classify_inbound(std::string_view smsc, const Pdu& pdu, const DecodeOptions& options) {
  // The session hands over deliver_sm (a ShortMessage body) and data_sm only.
  if (const auto* sm = pdu.as<ShortMessage>())
    return classify(smsc, *sm, sm->short_message, options);
  if (const auto* ds = pdu.as<DataSm>()) return classify(smsc, *ds, std::string_view{}, options);
  return NotInbound{};
}

}  // namespace twoway::smpp
