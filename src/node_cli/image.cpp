// `stratus-node image build`: writes an ESP application image (proto::make_esp_image) that
// virtual nodes accept as an OTA update (spec rainmaker-device.md §7).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <system_error>

#include "node_cli/detail/context.hpp"
#include "proto/esp_image.hpp"

namespace stratus::node_cli::detail {
namespace {

struct ImageArgs {
  std::string version;
  std::string project;
  std::string chip = "esp32";
  std::size_t size_bytes = 64 * 1024;
  std::uint32_t secure_version = 0;
  std::string output;
};

/// Largest image `build` writes (a virtual node accepts up to 16 MiB by default).
constexpr std::size_t kMaxImageBytes = 16U * 1024U * 1024U;
/// Header, segment header and app description of `make_esp_image`'s one segment.
constexpr std::size_t kImageOverheadBytes = 24 + 8 + 256;

int build_image(Context& ctx, const ImageArgs& args) {
  const auto chip = proto::esp_chip_id(args.chip);
  if (!chip) {
    return ctx.error("unknown chip \"" + args.chip + "\" (esp32, esp32s3, esp32c3, ...)");
  }
  proto::EspImageSpec spec;
  spec.chip_id = *chip;
  spec.version = args.version;
  spec.project_name = args.project;
  spec.secure_version = args.secure_version;
  // --size is the whole image; the payload is what is left after the fixed parts.
  spec.payload_bytes =
      args.size_bytes > kImageOverheadBytes + 16 ? args.size_bytes - kImageOverheadBytes - 16 : 0;
  auto image = proto::make_esp_image(spec);
  if (!image) {
    return ctx.error(image.error());
  }
  const std::filesystem::path path(args.output);
  const auto tmp = std::filesystem::path(path).concat(".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(image->data(), static_cast<std::streamsize>(image->size()));
    out.flush();
    if (!out) {
      return ctx.error("cannot write " + tmp.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return ctx.error("cannot write " + path.string());
  }
  ctx.env().out << "wrote " << path.string() << ": " << image->size() << " bytes, project "
                << args.project << ", version " << args.version << ", chip " << args.chip
                << ", secure version " << args.secure_version << "\n";
  return 0;
}

}  // namespace

void add_image(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<ImageArgs>();
  auto* image = app.add_subcommand("image", "ESP application images for OTA tests");
  image->require_subcommand(1);
  auto* cmd = image->add_subcommand(
      "build", "Write an ESP application image that virtual nodes accept as an OTA update");
  cmd->add_option("--version", args->version, "Firmware version in the image (at most 31 chars)")
      ->required();
  cmd->add_option("--project", args->project,
                  "Project name (the node's model name unless its model file sets "
                  "ota.project_name; at most 31 chars)")
      ->required();
  cmd->add_option("--chip", args->chip, "Chip: esp32, esp32s2, esp32s3, esp32c3, ...")
      ->capture_default_str();
  cmd->add_option("--size", args->size_bytes, "Approximate image size in bytes")
      ->check(CLI::Range(std::size_t{0}, kMaxImageBytes))
      ->capture_default_str();
  cmd->add_option("--secure-version", args->secure_version, "Anti-rollback secure version")
      ->capture_default_str();
  cmd->add_option("-o,--output", args->output, "File to write")->required();
  ctx.on(*cmd, [&ctx, args] { return build_image(ctx, *args); });
}

}  // namespace stratus::node_cli::detail
