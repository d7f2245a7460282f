// Fuzz target `provisioning_backend`: what the provisioning server reads from the broker
// (console/provisioning_backend.hpp): a topic (the first line) and a payload (the rest),
// delivered twice so a START's session meets a second packet. Invariants: no crash; every
// request the backend publishes is a `gw-request/send_data/...` topic; outcomes count.
#include "console/provisioning_backend.hpp"

#include <chrono>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stratus::console;
  namespace prov = stratus::wirepas::provisioning;
  static const auto config = [] {
    auto c = parse_provisioning_config(
        "node-a:\n  method: 0\n  authentication_key: 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 "
        "0x09 0x0A 0x0B 0x0C 0x0D 0x0E 0x0F 0x10\n  encryption_key: 0x10 0x0F 0x0E 0x0D 0x0C "
        "0x0B 0x0A 0x09 0x08 0x07 0x06 0x05 0x04 0x03 0x02 0x01\n",
        "fuzz.yml");
    FUZZ_CHECK(c.has_value());
    return *c;
  }();
  const auto [topic, payload] = stratus::fuzz::split_line(stratus::fuzz::as_text(data, size));
  ProvisioningBackend backend(config, prov::ServerOptions{}, 1);
  const auto now = ProvisioningBackend::Clock::time_point{} + std::chrono::hours(1);
  std::size_t finished = 0;
  for (int i = 0; i < 2; ++i) {
    const auto out = backend.on_message(topic, payload, now, 0);
    for (const auto& p : out.publishes)
      FUZZ_CHECK(p.topic.starts_with("gw-request/send_data/"));
    finished += out.finished.size();
  }
  for (int hour = 1; hour <= 3; ++hour)  // a failed send is retried once, then ends
    finished += backend.tick(now + std::chrono::hours(hour), 0).finished.size();
  std::uint64_t counted = 0;
  for (const auto& [name, n] : backend.counters().outcomes)
    counted += n;
  FUZZ_CHECK(counted == finished);
  FUZZ_CHECK(backend.sessions() == 0);
  return 0;
}
