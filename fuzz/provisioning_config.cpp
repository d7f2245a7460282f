// Fuzz target `provisioning_config`: the provisioning server's list of authorized nodes
// (console/provisioning_config.hpp), a YAML file an operator writes, and the byte strings
// inside it. Invariants: a configuration that loads holds only nodes the sessions can use
// (UID 1-79 bytes, method 0 or 1, a factory key for method 1, the UID's entry name known);
// an error names the file; a byte string without `0x` is its own bytes.
#include "console/provisioning_config.hpp"

#include <string>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = stratus::fuzz::as_text(data, size);
  const auto config = stratus::console::parse_provisioning_config(text, "fuzz.yml");
  if (config) {
    for (const auto& [uid, node] : config->nodes) {
      FUZZ_CHECK(!uid.empty() && uid.size() <= 79);
      FUZZ_CHECK(node.uid == uid);
      FUZZ_CHECK(node.method <= 1);
      FUZZ_CHECK(node.method == 0 || node.factory_key.has_value());
      FUZZ_CHECK(config->names.contains(uid));
    }
  } else {
    FUZZ_CHECK(config.error().context.starts_with("fuzz.yml"));
  }
  const auto bytes = stratus::wirepas::provisioning::parse_byte_string(text);
  if (!text.starts_with("0x") && !text.starts_with("0X"))
    FUZZ_CHECK(bytes && *bytes == text);
  return 0;
}
