// The SMSC simulator core: listener, per-system MO/receipt queues and accounting, the report.
#include "tools/smsc_sim/sim.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <future>

#include "smpp/codec.hpp"
#include "tools/smsc_sim/sim_conn.hpp"

namespace twoway::sim {

using namespace twoway::smpp;

nlohmann::json latency_summary(std::vector<double> samples_ms) {
  std::sort(samples_ms.begin(), samples_ms.end());
  const auto pct = [&](double p) {
    if (samples_ms.empty()) return 0.0;
    // The nearest-rank percentile: the smallest sample with at least p of them at or below it.
    const auto rank =
        static_cast<std::size_t>(std::ceil(p * static_cast<double>(samples_ms.size())));
    return samples_ms[std::clamp<std::size_t>(rank, 1, samples_ms.size()) - 1];
  };
  return {{"count", samples_ms.size()},
          {"p50", pct(0.50)},
          {"p90", pct(0.90)},
          {"p99", pct(0.99)},
          {"max", samples_ms.empty() ? 0.0 : samples_ms.back()}};
}

bool parse_stat_mix(const std::string& spec,
                    std::vector<std::pair<std::string, std::uint32_t>>& out) {
  out.clear();
  std::size_t pos = 0;
  while (pos < spec.size()) {
    std::size_t end = spec.find(',', pos);
    if (end == std::string::npos) end = spec.size();
    const std::string item = spec.substr(pos, end - pos);
    const std::size_t colon = item.find(':');
    std::string stat = item.substr(0, colon);
    std::uint32_t weight = 1;
    if (colon != std::string::npos) {
      try {
        weight = static_cast<std::uint32_t>(std::stoul(item.substr(colon + 1)));
      } catch (...) {
        return false;
      }
    }
    if (stat.empty() || stat.size() > 7) return false;
    out.emplace_back(std::move(stat), weight);
    pos = end + 1;
  }
  return !out.empty();
}

Simulator::State::State(asio::io_context& io_, SimConfig c)
    : io(io_),
      cfg(std::move(c)),
      faults(cfg.faults),
      acceptor(io_),
      tick_timer(io_),
      rng(cfg.seed) {
  if (cfg.texts.empty()) {
    templates = builtin_mix();
  } else {
    for (const auto& t : cfg.texts) templates.push_back(text_template(t, "text"));
  }
  const std::uint32_t m = std::max<std::uint32_t>(cfg.from_count, 1);
  sources.reserve(m);
  for (std::uint32_t i = 0; i < m; ++i) {
    std::string digits = std::to_string(std::uint64_t{i} + cfg.from_offset + 1);
    sources.push_back(cfg.from_prefix +
                      std::string(7 - std::min<std::size_t>(7, digits.size()), '0') + digits);
  }
  if (cfg.dlr_stat_mix.empty()) cfg.dlr_stat_mix = {{"DELIVRD", 1}};
  next_message_id = (cfg.seed & 0xFFFF) << 32;
  if (!cfg.records_file.empty()) {
    records = std::fopen(cfg.records_file.c_str(), "a");
    if (records != nullptr) std::setvbuf(records, nullptr, _IOLBF, 1 << 16);
  }
}

void Simulator::State::write_record(const nlohmann::json& line) {
  if (records == nullptr) return;
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fprintf(records, "%s\n", text.c_str());
}

std::int64_t Simulator::State::now_us() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_at).count();
}

System& Simulator::State::system(const std::string& system_id) {
  auto [it, inserted] = systems.try_emplace(system_id);
  if (inserted) it->second.system_id = system_id;
  return it->second;
}

void Simulator::State::generate(System& sys) {
  if (sys.generated) return;
  sys.generated = true;
  sys.count = cfg.mo_per_bind;
  sys.parts_acked.assign(sys.count, 0);
  sys.msg_state.assign(sys.count, 0);
  sys.msg_redelivered.assign(sys.count, 0);
  sys.msg_sent.assign(sys.count, 0);
  n.mo_messages.fetch_add(sys.count, std::memory_order_relaxed);
}

bool Simulator::State::next_item(System& sys, Item& out) {
  if (!sys.queue.empty()) {
    out = sys.queue.front();
    sys.queue.pop_front();
    return true;
  }
  while (sys.cursor_msg < sys.count) {
    const MoTemplate& t = templates[sys.cursor_msg % templates.size()];
    if (sys.cursor_part >= t.send_order.size()) {
      ++sys.cursor_msg;
      sys.cursor_part = 0;
      continue;
    }
    out.kind = ItemKind::mo;
    out.index = static_cast<std::uint32_t>(sys.cursor_msg);
    out.part = t.send_order[sys.cursor_part++];
    return true;
  }
  return false;
}

void Simulator::State::requeue(System& sys, const Item& item, bool delayed) {
  if (delayed && cfg.redeliver_delay.count() > 0) {
    sys.later.emplace_back(Clock::now() + cfg.redeliver_delay, item);
  } else {
    sys.queue.push_front(item);
  }
}

std::string Simulator::State::make_message_id() {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%012llX", static_cast<unsigned long long>(++next_message_id));
  return buf;
}

void Simulator::State::build_deliver_sm(System& sys, const Item& item, std::uint32_t seq,
                                        std::string& out) {
  const std::size_t start = out.size();
  out.append(16, '\0');
  const auto cstr = [&](std::string_view s) {
    out.append(s);
    out.push_back('\0');
  };
  const auto u8 = [&](std::uint8_t v) { out.push_back(static_cast<char>(v)); };
  std::string_view source, dest = cfg.mo_destination, sm;
  std::uint8_t esm = 0, dc = 0;
  int ref_offset = -1;
  std::uint8_t ref = 0;
  std::string receipt_text;
  const Receipt* r = nullptr;
  if (item.kind == ItemKind::dlr) {
    r = &sys.receipts[item.index];
    source = r->source;
    dest = r->destination;
    esm = esm::type_delivery_receipt;
    char when[16];
    std::tm tm{};
    gmtime_r(&r->submitted, &tm);
    std::strftime(when, sizeof when, "%y%m%d%H%M", &tm);
    const std::string& stat = cfg.dlr_stat_mix[r->stat].first;
    const bool delivered = stat == "DELIVRD";
    receipt_text = "id:" + r->message_id + " sub:001 dlvrd:" + (delivered ? "001" : "000") +
                   " submit date:" + when + " done date:" + when + " stat:" + stat +
                   " err:" + (delivered ? "000" : "001") + " text:" + r->text20;
    sm = receipt_text;
  } else {
    const MoTemplate* t;
    if (item.kind == ItemKind::injected) {
      t = &sys.injected[item.index].message;
      source = sys.injected[item.index].source;
    } else {
      t = &templates[item.index % templates.size()];
      source = sources[item.index % sources.size()];
    }
    const MoPart& p = t->parts[item.part];
    esm = p.esm_class;
    dc = p.data_coding;
    sm = p.short_message;
    ref_offset = p.ref_offset;
    ref = static_cast<std::uint8_t>(item.index & 0xFF);
    if (item.kind == ItemKind::mo && (sys.msg_state[item.index] & 1) == 0) {
      sys.msg_state[item.index] |= 1;
      std::int64_t unset = -1;
      n.first_mo_sent_us.compare_exchange_strong(unset, now_us(), std::memory_order_relaxed);
      auto& waiting = awaiting_reply[std::string(source)];
      if (waiting.size() < 1000) waiting.push_back(Clock::now());  // bounded if nobody replies
    }
  }
  cstr("");  // service_type
  u8(1);
  u8(1);
  cstr(source);
  u8(dest.size() <= 6 ? 3 : 1);  // short codes: network specific
  u8(1);
  cstr(dest);
  u8(esm);
  u8(0);  // protocol_id
  u8(0);  // priority_flag
  cstr("");
  cstr("");
  u8(0);  // registered_delivery
  u8(0);
  u8(dc);
  u8(0);
  u8(static_cast<std::uint8_t>(sm.size()));
  const std::size_t sm_at = out.size();
  out.append(sm);
  if (ref_offset >= 0) out[sm_at + static_cast<std::size_t>(ref_offset)] = static_cast<char>(ref);
  if (r != nullptr) {
    char t[4];
    store_be16(t, tag::receipted_message_id);
    store_be16(t + 2, static_cast<std::uint16_t>(r->message_id.size() + 1));
    out.append(t, 4);
    cstr(r->message_id);
    store_be16(t, tag::message_state);
    store_be16(t + 2, 1);
    out.append(t, 4);
    const std::string& stat = cfg.dlr_stat_mix[r->stat].first;
    std::uint8_t state = 7;
    if (stat == "DELIVRD") state = 2;
    if (stat == "EXPIRED") state = 3;
    if (stat == "DELETED") state = 4;
    if (stat == "UNDELIV") state = 5;
    if (stat == "ACCEPTD") state = 6;
    if (stat == "REJECTD") state = 8;
    u8(state);
    n.dlr_sent.fetch_add(1, std::memory_order_relaxed);
  } else {
    n.mo_pdus_sent.fetch_add(1, std::memory_order_relaxed);
    std::uint16_t& sent =
        item.kind == ItemKind::injected ? sys.injected[item.index].sent : sys.msg_sent[item.index];
    if (sent < UINT16_MAX) ++sent;
  }
  char* h = out.data() + start;
  store_be32(h, static_cast<std::uint32_t>(out.size() - start));
  store_be32(h + 4, cmd::deliver_sm);
  store_be32(h + 8, 0);
  store_be32(h + 12, seq);
}

void Simulator::State::on_mo_answer(System& sys, const Item& item, std::uint32_t status,
                                    bool generic_nack) {
  const bool ok = status == status::ok && !generic_nack;
  const bool retry = !generic_nack && (status == status::x_t_appn || status == status::msgqful ||
                                       status == status::throttled || status == status::syserr ||
                                       status == status::invbndsts);
  if (item.kind == ItemKind::dlr) {
    Receipt& r = sys.receipts[item.index];
    if (ok) {
      r.state = 1;
      n.dlr_acked.fetch_add(1, std::memory_order_relaxed);
    } else if (retry) {
      requeue(sys, item, true);
    } else {
      r.state = 2;
      n.dlr_failed.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  if (ok) {
    n.mo_pdus_acked.fetch_add(1, std::memory_order_relaxed);
  } else {
    n.mo_pdus_nacked.fetch_add(1, std::memory_order_relaxed);
  }
  std::uint16_t* acked;
  std::uint8_t* state;
  std::size_t parts;
  if (item.kind == ItemKind::injected) {
    auto& inj = sys.injected[item.index];
    acked = &inj.parts_acked;
    state = &inj.state;
    parts = inj.message.parts.size();
  } else {
    acked = &sys.parts_acked[item.index];
    state = &sys.msg_state[item.index];
    parts = templates[item.index % templates.size()].parts.size();
  }
  if (*state & 6) return;  // already settled
  if (ok) {
    if (++*acked == parts) {
      *state |= 2;
      n.mo_messages_acked.fetch_add(1, std::memory_order_relaxed);
      n.last_mo_ack_us.store(now_us(), std::memory_order_relaxed);
      record_mo(sys, item, status);
    }
  } else if (retry) {
    requeue(sys, item, true);
  } else {
    *state |= 4;
    n.mo_messages_failed.fetch_add(1, std::memory_order_relaxed);
    record_mo(sys, item, generic_nack ? status::invcmdid : status);
  }
}

void Simulator::State::record_ack_latency(const Item& item, Clock::time_point sent_at) {
  if (item.kind == ItemKind::dlr) return;
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent_at).count();
  std::lock_guard lock(mu);
  if (ack_latencies_ms.size() < 4000000) ack_latencies_ms.push_back(ms);
}

void Simulator::State::record_mo(const System& sys, const Item& item, std::uint32_t status) {
  if (records == nullptr) return;
  const bool injected = item.kind == ItemKind::injected;
  const MoTemplate& t =
      injected ? sys.injected[item.index].message : templates[item.index % templates.size()];
  const std::string& source =
      injected ? sys.injected[item.index].source : sources[item.index % sources.size()];
  char st[16];
  std::snprintf(st, sizeof st, "0x%08X", status);
  write_record({{"type", "mo"},
                {"system_id", sys.system_id},
                {"index", item.index},
                {"injected", injected},
                {"from", source},
                {"to", cfg.mo_destination},
                {"text", t.text},
                {"kind", t.kind},
                {"parts", t.parts.size()},
                {"status", st},
                {"ok", status == status::ok},
                {"redelivered", injected ? 0 : sys.msg_redelivered[item.index]},
                {"sent", injected ? sys.injected[item.index].sent : sys.msg_sent[item.index]},
                {"at_us", now_us()}});
}

void Simulator::State::on_mt(const std::string& system_id, const Pdu& pdu,
                             std::string_view message_id, std::uint32_t status) {
  if (status != status::ok) return;
  n.mt_received.fetch_add(1, std::memory_order_relaxed);
  const std::int64_t at = now_us();
  std::int64_t unset = -1;
  n.first_mt_us.compare_exchange_strong(unset, at, std::memory_order_relaxed);
  n.last_mt_us.store(at, std::memory_order_relaxed);
  std::string_view src, dst, sm;
  std::uint8_t esm = 0, dc = 0, rd = 0;
  if (auto* s = pdu.as<ShortMessage>()) {
    src = s->source_addr;
    dst = s->destination_addr;
    esm = s->esm_class;
    dc = s->data_coding;
    rd = s->registered_delivery;
    sm = s->short_message;
    if (auto p = find_tlv(s->tlvs, tag::message_payload)) sm = *p;
  } else if (auto* d = pdu.as<DataSm>()) {
    src = d->source_addr;
    dst = d->destination_addr;
    esm = d->esm_class;
    dc = d->data_coding;
    rd = d->registered_delivery;
    if (auto p = find_tlv(d->tlvs, tag::message_payload)) sm = *p;
  } else if (auto* m = pdu.as<SubmitMulti>()) {
    src = m->source_addr;
    if (!m->dest_addresses.empty()) dst = m->dest_addresses.front().destination_addr;
    esm = m->esm_class;
    dc = m->data_coding;
    rd = m->registered_delivery;
    sm = m->short_message;
  }
  write_record({{"type", "mt"},
                {"system_id", system_id},
                {"command", std::string(command_name(pdu.header.command_id))},
                {"from", src},
                {"to", dst},
                {"message_id", message_id},
                {"esm_class", esm},
                {"registered_delivery", rd},
                {"at_us", now_us()}});
  std::lock_guard lock(mu);
  // An ESME may write the sender back in international form with a leading '+' (Kannel does).
  std::string_view to = dst;
  if (!to.empty() && to.front() == '+') to.remove_prefix(1);
  auto it = awaiting_reply.find(std::string(to));
  if (it != awaiting_reply.end() && !it->second.empty()) {
    if (latencies_ms.size() < 4000000)
      latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - it->second.front()).count());
    it->second.pop_front();
  }
  if (cfg.keep_mt_records && mt_records.size() < cfg.max_mt_records) {
    MtRecord r;
    r.system_id = system_id;
    r.command = std::string(command_name(pdu.header.command_id));
    r.source_addr.assign(src);
    r.destination_addr.assign(dst);
    r.esm_class = esm;
    r.data_coding = dc;
    r.registered_delivery = rd;
    r.short_message.assign(sm);
    r.message_id.assign(message_id);
    r.status = status;
    r.sequence_number = pdu.header.sequence_number;
    mt_records.push_back(std::move(r));
  }
  if (cfg.dlr && (rd & 0x03) != 0 && !message_id.empty()) {
    System& sys = system(system_id);
    Receipt rec;
    rec.message_id.assign(message_id);
    rec.source.assign(dst);
    rec.destination.assign(src);
    rec.submitted = std::time(nullptr);
    std::string text20(sm.substr(0, 20));
    if (dc == 0x08 || (esm & esm::udhi) != 0) text20.clear();  // keep the receipt text ASCII
    for (auto& c : text20) {
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '.';
    }
    rec.text20 = std::move(text20);
    std::uint32_t total = 0;
    for (const auto& s : cfg.dlr_stat_mix) total += s.second;
    std::uint32_t pick =
        std::uniform_int_distribution<std::uint32_t>(0, std::max(total, 1u) - 1)(rng);
    for (std::size_t i = 0; i < cfg.dlr_stat_mix.size(); ++i) {
      if (pick < cfg.dlr_stat_mix[i].second) {
        rec.stat = static_cast<std::uint8_t>(i);
        break;
      }
      pick -= cfg.dlr_stat_mix[i].second;
    }
    sys.receipts.push_back(std::move(rec));
    const Item item{ItemKind::dlr, 0, static_cast<std::uint32_t>(sys.receipts.size() - 1)};
    sys.later.emplace_back(Clock::now() + cfg.dlr_delay, item);
    n.dlr_total.fetch_add(1, std::memory_order_relaxed);
  }
}

void Simulator::State::count_fault(const char* kind) {
  n.faults_injected.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu);
  ++fault_counts[kind];
}

void Simulator::State::count_status(std::string_view command, std::uint32_t status) {
  std::string key(command);
  key.push_back(':');
  const auto name = status_name(status);
  if (name.empty()) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", status);
    key += buf;
  } else {
    key += name;
  }
  std::lock_guard lock(mu);
  ++status_counts[key];
}

void Simulator::State::start_accept() {
  acceptor.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
    if (self->stopped) return;
    if (!ec) {
      auto c = std::make_shared<Conn>(self, std::move(s));
      self->conns.insert(c);
      c->start();
    }
    self->start_accept();
  });
}

void Simulator::State::arm_tick() {
  tick_timer.expires_after(std::chrono::milliseconds(5));
  tick_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->stopped) return;
    self->tick();
    self->arm_tick();
  });
}

void Simulator::State::tick() {
  const auto now = Clock::now();
  for (auto& [id, sys] : systems) {
    // Due receipts and redeliveries move to the queue (the list is short and mostly in order).
    for (auto it = sys.later.begin(); it != sys.later.end();) {
      if (it->first <= now) {
        sys.queue.push_back(it->second);
        it = sys.later.erase(it);
      } else {
        ++it;
      }
    }
  }
  const auto copy = conns;
  for (const auto& c : copy) c->on_tick(now);
}

void Simulator::State::pump_all() {
  const auto copy = conns;
  for (const auto& c : copy) c->pump();
}

// --- Simulator -------------------------------------------------------------------------------

Simulator::Simulator(asio::io_context& io, SimConfig config)
    : state_(std::make_shared<State>(io, std::move(config))) {}

Simulator::~Simulator() {
  stop();
}

std::error_code Simulator::listen() {
  auto& s = *state_;
  boost::system::error_code ec;
  if (!s.cfg.tls_cert_file.empty()) {
    try {
      s.ssl = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      s.ssl->use_certificate_chain_file(s.cfg.tls_cert_file);
      s.ssl->use_private_key_file(
          s.cfg.tls_key_file.empty() ? s.cfg.tls_cert_file : s.cfg.tls_key_file,
          asio::ssl::context::pem);
      if (!s.cfg.tls_client_ca_file.empty()) {
        s.ssl->load_verify_file(s.cfg.tls_client_ca_file);
        s.ssl->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
      }
    } catch (const boost::system::system_error& e) {
      return e.code();
    }
  }
  const auto addr = asio::ip::make_address(s.cfg.host, ec);
  if (ec) return ec;
  const tcp::endpoint ep(addr, s.cfg.port);
  s.acceptor.open(ep.protocol(), ec);
  if (ec) return ec;
  s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  s.acceptor.bind(ep, ec);
  if (ec) return ec;
  s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return ec;
  s.port = s.acceptor.local_endpoint().port();
  s.started_at = Clock::now();
  asio::post(s.io, [st = state_] {
    st->start_accept();
    st->arm_tick();
  });
  return {};
}

std::uint16_t Simulator::port() const noexcept {
  return state_->port.load();
}

void Simulator::stop() {
  asio::post(state_->io, [st = state_] {
    if (st->stopped) return;
    st->stopped = true;
    boost::system::error_code ignored;
    st->acceptor.close(ignored);
    st->tick_timer.cancel();
    const auto copy = st->conns;
    for (const auto& c : copy) c->close();
    st->conns.clear();
  });
}

void Simulator::unbind_all() {
  asio::post(state_->io, [st = state_] {
    for (const auto& c : st->conns) c->send_unbind();
  });
}

void Simulator::drop_all() {
  asio::post(state_->io, [st = state_] {
    const auto copy = st->conns;
    for (const auto& c : copy) c->close();
  });
}

void Simulator::set_faults(const FaultConfig& faults) {
  asio::post(state_->io, [st = state_, faults] { st->faults = faults; });
}

void Simulator::inject_mo(const std::string& system_id, MoTemplate message, std::string source) {
  asio::post(state_->io, [st = state_, system_id, m = std::move(message), src = std::move(source)] {
    System& sys = st->system(system_id);
    sys.injected.push_back(Injected{m, src, 0, 0, 0});
    const auto idx = static_cast<std::uint32_t>(sys.injected.size() - 1);
    for (auto part : m.send_order) sys.queue.push_back(Item{ItemKind::injected, part, idx});
    st->n.mo_messages.fetch_add(1, std::memory_order_relaxed);
    st->pump_all();
  });
}

SimCounters Simulator::counters() const {
  const auto& n = state_->n;
  const auto ld = [](const std::atomic<std::uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  SimCounters c;
  c.connections = ld(n.connections);
  c.binds_ok = n.binds_ok.load(std::memory_order_acquire);  // before the MO counts (done())
  c.binds_refused = ld(n.binds_refused);
  c.bound_now = ld(n.bound_now);
  c.mo_messages = ld(n.mo_messages);
  c.mo_messages_acked = ld(n.mo_messages_acked);
  c.mo_messages_failed = ld(n.mo_messages_failed);
  c.mo_pdus_sent = ld(n.mo_pdus_sent);
  c.mo_pdus_acked = ld(n.mo_pdus_acked);
  c.mo_pdus_nacked = ld(n.mo_pdus_nacked);
  c.mo_redelivered = ld(n.mo_redelivered);
  c.mt_received = ld(n.mt_received);
  c.mt_throttled = ld(n.mt_throttled);
  c.dlr_sent = ld(n.dlr_sent);
  c.dlr_acked = ld(n.dlr_acked);
  c.dlr_pending = ld(n.dlr_total) - ld(n.dlr_acked) - ld(n.dlr_failed);
  c.enquire_links = ld(n.enquire_links);
  c.unbinds_received = ld(n.unbinds_received);
  c.unbinds_sent = ld(n.unbinds_sent);
  c.generic_nacks_received = ld(n.generic_nacks_received);
  c.faults_injected = ld(n.faults_injected);
  c.pdus_in = ld(n.pdus_in);
  c.pdus_out = ld(n.pdus_out);
  return c;
}

bool Simulator::done() const {
  const auto c = counters();
  return c.binds_ok > 0 && c.mo_messages_acked + c.mo_messages_failed == c.mo_messages &&
         c.dlr_pending == 0;
}

std::vector<MtRecord> Simulator::mt_records() const {
  std::lock_guard lock(state_->mu);
  return state_->mt_records;
}

nlohmann::json Simulator::report(bool include_mt_records) const {
  using nlohmann::json;
  const auto c = counters();
  const auto& n = state_->n;
  const double elapsed = std::chrono::duration<double>(Clock::now() - state_->started_at).count();
  const double first_bind = n.first_bind_us.load() / 1e6;
  const double mo_end = n.last_mo_ack_us.load() / 1e6;
  const double mt_end = n.last_mt_us.load() / 1e6;
  const double mo_start = n.first_mo_sent_us.load() / 1e6;
  const double mt_start = n.first_mt_us.load() / 1e6;
  // Messages per second between two instants (0 when there is no span to divide by).
  const auto span_rate = [](std::uint64_t count, double start, double end) {
    if (start < 0 || end <= start) return 0.0;
    return static_cast<double>(count) / (end - start);
  };
  const auto at = [](double s) { return s < 0 ? nlohmann::json(nullptr) : nlohmann::json(s); };
  const auto rate = [&](std::uint64_t count, double end) {
    if (first_bind < 0 || end <= first_bind) return 0.0;
    return static_cast<double>(count) / (end - first_bind);
  };
  json j;
  j["duration_s"] = elapsed;
  j["connections"] = c.connections;
  j["binds"] = {{"ok", c.binds_ok}, {"refused", c.binds_refused}, {"bound_now", c.bound_now}};
  j["mo"] = {{"messages", c.mo_messages},
             {"acked", c.mo_messages_acked},
             {"failed", c.mo_messages_failed},
             {"pending", c.mo_messages - c.mo_messages_acked - c.mo_messages_failed},
             {"pdus_sent", c.mo_pdus_sent},
             {"pdus_acked", c.mo_pdus_acked},
             {"pdus_nacked", c.mo_pdus_nacked},
             {"redelivered", c.mo_redelivered},
             {"acked_per_s", rate(c.mo_pdus_acked, mo_end)},
             {"first_sent_s", at(mo_start)},
             {"last_acked_s", at(mo_end)},
             {"messages_acked_per_s", span_rate(c.mo_messages_acked, mo_start, mo_end)}};
  j["mt"] = {{"received", c.mt_received},
             {"throttled", c.mt_throttled},
             {"per_s", rate(c.mt_received, mt_end)},
             {"first_s", at(mt_start)},
             {"last_s", at(mt_end)},
             {"acked_per_s", span_rate(c.mt_received, mt_start, mt_end)}};
  j["dlr"] = {{"sent", c.dlr_sent}, {"acked", c.dlr_acked}, {"pending", c.dlr_pending}};
  j["pdus"] = {{"in", c.pdus_in}, {"out", c.pdus_out}};
  j["enquire_links"] = c.enquire_links;
  j["unbinds"] = {{"received", c.unbinds_received}, {"sent", c.unbinds_sent}};
  j["generic_nacks_received"] = c.generic_nacks_received;
  j["faults_injected"] = c.faults_injected;
  {
    std::lock_guard lock(state_->mu);
    j["faults_by_kind"] = state_->fault_counts;
  }
  std::lock_guard lock(state_->mu);
  j["reply_latency_ms"] = latency_summary(state_->latencies_ms);
  j["mo_ack_latency_ms"] = latency_summary(state_->ack_latencies_ms);
  json statuses = json::object();
  for (const auto& [key, count] : state_->status_counts) {
    const auto colon = key.find(':');
    statuses[key.substr(0, colon)][key.substr(colon + 1)] = count;
  }
  j["status_counts"] = statuses;
  if (include_mt_records) {
    json recs = json::array();
    static constexpr char hex[] = "0123456789abcdef";
    for (const auto& r : state_->mt_records) {
      std::string h;
      for (unsigned char ch : r.short_message) {
        h.push_back(hex[ch >> 4]);
        h.push_back(hex[ch & 15]);
      }
      recs.push_back({{"system_id", r.system_id},
                      {"command", r.command},
                      {"source_addr", r.source_addr},
                      {"destination_addr", r.destination_addr},
                      {"esm_class", r.esm_class},
                      {"data_coding", r.data_coding},
                      {"registered_delivery", r.registered_delivery},
                      {"short_message_hex", h},
                      {"message_id", r.message_id}});
    }
    j["mt_records"] = std::move(recs);
  }
  return j;
}

}  // namespace twoway::sim
