// Fuzz target `protocomm_client`: what `stratus provision` and local control read from a
// device (spec rainmaker-device.md §1-§5): the input, split at each "\n--\n", is the
// device's successive answers (the first is `proto-ver` or the `esp_local_ctrl/version`
// JSON) to the client flows of cli/provisioning.hpp under security 0, where the bytes
// reach the decoders unencrypted; the whole input is also a `--device-address`.
// Invariants: the flows end (every loop is bounded) with a value or an error, never a
// crash; an error is never internal; the device-address parser accepts only ports 1..65535.
#include <string>
#include <vector>

#include "cli/provisioning.hpp"
#include "client/protocomm_http.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace stratus;

class ScriptedDevice final : public cli::ProtocommChannel {
 public:
  explicit ScriptedDevice(std::vector<std::string> answers) : answers_(std::move(answers)) {}
  Result<std::string> send(std::string_view, std::string_view) override {
    if (next_ >= answers_.size() || ++sent_ > 200)
      return fail(errc::unavailable, "the device closed the connection without an answer");
    return answers_[next_++];
  }

 private:
  std::vector<std::string> answers_;
  std::size_t next_ = 0;
  int sent_ = 0;
};

class FixedCloud final : public cli::MappingCloud {
 public:
  Result<client::MappingChallenge> initiate() override {
    return client::MappingChallenge{"r", "c"};
  }
  Result<void> verify(std::string_view, std::string_view, std::string_view) override { return {}; }
  Result<std::string> add_mapping(std::string_view, std::string_view) override {
    return std::string("m");
  }
  Result<client::MappingStatus> mapping_status(std::string_view) override {
    return client::MappingStatus::confirmed;
  }
};

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> parts;
  for (;;) {
    const auto at = text.find("\n--\n");
    if (at == std::string_view::npos) {
      parts.emplace_back(text);
      return parts;
    }
    parts.emplace_back(text.substr(0, at));
    text.remove_prefix(at + 4);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_text(data, size);
  const auto answers = split(text);
  cli::ProvisionHooks hooks;
  hooks.sleep = [](std::chrono::milliseconds) {};
  hooks.choose_network = [](const std::vector<protocomm::WifiScanEntry>& list)
      -> Result<std::pair<std::string, std::string>> {
    return std::pair<std::string, std::string>{list.front().ssid, "pass"};
  };
  for (const bool with_ssid : {true, false}) {
    ScriptedDevice device(answers);
    FixedCloud cloud;
    cli::ProvisionRequest request;
    request.sec_ver = 0;
    if (with_ssid)
      request.ssid = "net";
    request.user_id = "u";
    request.secret_key = "s";
    request.timeout = std::chrono::seconds(5);
    const auto r = cli::provision(device, cloud, request, hooks);
    FUZZ_CHECK(r.has_value() || r.error().code != errc::internal);
  }
  {
    ScriptedDevice device(answers);
    auto lc = cli::LocalControl::connect(device, 0, cli::SessionCredentials{});
    if (lc) {
      (void)lc->get("params");
      (void)lc->set("params", "{}");
    }
  }
  if (const auto hp = client::parse_device_address(text); hp)
    FUZZ_CHECK(hp->second >= 1 && hp->second <= 65535 && !hp->first.empty());
  return 0;
}
