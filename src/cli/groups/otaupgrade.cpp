// `stratus otaupgrade <node_id> <file>`: the RainMaker CLI's "OTA using params" flow
// (spec rainmaker.md §4.6, its historical behaviour): upload the image through
// `POST v1/user/otaimage` (base64, ≤ 5 MB), set the node's `esp.param.ota_url` param to the
// image URL, then follow the node's `esp.param.ota_status`/`esp.param.ota_info` params.
// Nodes whose firmware updates through topics (the default) get OTA jobs instead.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <ostream>

#include "cli/detail/context.hpp"
#include "cli/detail/files.hpp"
#include "cli/detail/groups.hpp"
#include "cli/ota.hpp"
#include "core/base64.hpp"
#include "proto/rest/ota.hpp"
#include "proto/rest/ota_params.hpp"

namespace stratus::cli::detail {
namespace {

// How often the node's params are read while waiting (the RainMaker CLI: 8 s).
constexpr std::chrono::seconds kPollInterval{5};

struct OtaUpgradeOptions {
  std::string node_id;
  std::string file;
  int timeout_s = 300;
};

// "fw.bin" → "fw", as the RainMaker CLI names the image; other names stay whole.
std::string image_name_of(const std::filesystem::path& file) {
  auto name = file.filename().string();
  if (name.size() > 4 && name.ends_with(".bin"))
    name.resize(name.size() - 4);
  return name;
}

int ota_upgrade(Context& ctx, const OtaUpgradeOptions& o) {
  constexpr auto kMax = proto::rest::kMaxBase64ImageBytes;
  std::error_code ec;
  const std::filesystem::path file(o.file);
  if (!std::filesystem::is_regular_file(file, ec))
    return ctx.report(Error{errc::invalid_argument, o.file + " is not a readable file", 0});
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec && size > kMax) {
    return ctx.report(Error{errc::invalid_argument,
                            o.file + " is " + std::to_string(size) +
                                " bytes; otaupgrade sends at most 5 MB (" + std::to_string(kMax) +
                                " bytes); larger images go through OTA jobs (stratus-admin ota "
                                "upload)",
                            0});
  }
  auto bytes = read_text_file(file, kMax);
  if (!bytes)
    return ctx.report(bytes.error());

  auto s = ctx.session(true);
  if (!s)
    return ctx.report(s.error());
  auto service = s->ota_params_service(o.node_id);
  if (!service)
    return ctx.report_call(service.error());
  if (!*service) {
    return ctx.report(Error{errc::invalid_argument,
                            "the node has no OTA service (esp.service.ota); it updates through "
                            "OTA jobs (topics) instead",
                            0});
  }
  const auto& svc = **service;
  if (svc.url_param.empty()) {
    return ctx.report(
        Error{errc::invalid_argument,
              "the node's OTA service " + svc.name + " has no esp.param.ota_url param", 0});
  }
  // What the node reports before this update: a status left from an earlier one is not
  // this update's outcome.
  auto before = s->ota_params_progress(o.node_id, svc);
  if (!before)
    return ctx.report_call(before.error());

  proto::rest::OtaImageUpload upload;
  upload.image_name = image_name_of(file);
  upload.base64_fwimage = base64_encode(*bytes);
  auto image = s->upload_user_ota_image(upload);
  if (!image)
    return ctx.report_call(image.error());
  ctx.out() << "uploaded " << upload.image_name << " (" << bytes->size() << " bytes)\n";
  if (auto started = s->start_ota_params_update(o.node_id, svc, image->image_url); !started)
    return ctx.report_call(started.error());
  ctx.out() << "sent the image URL to " << o.node_id << "; waiting up to " << o.timeout_s
            << " s for its OTA status\n"
            << std::flush;

  const auto deadline = ctx.clock().now() + std::chrono::seconds(o.timeout_s);
  client::OtaParamsProgress last = *before;
  bool changed = false;
  while (ctx.clock().now() < deadline) {
    ctx.sleep(kPollInterval);
    auto progress = s->ota_params_progress(o.node_id, svc);
    if (!progress)
      return ctx.report_call(progress.error());
    if (*progress == last)
      continue;
    changed = true;
    last = *progress;
    ctx.out() << ota_params_progress_line(last) << '\n' << std::flush;
    if (last.finished()) {
      if (last.status == "success") {
        ctx.out() << "OTA update of " << o.node_id << " succeeded\n";
        return 0;
      }
      return ctx.report(Error{errc::internal,
                              "the OTA update of " + o.node_id + " ended " + last.status +
                                  (last.info.empty() ? "" : ": " + last.info),
                              0});
    }
  }
  return ctx.report(
      Error{errc::timeout,
            "no final OTA status from " + o.node_id + " within " + std::to_string(o.timeout_s) +
                " s (last: " + (changed ? ota_params_progress_line(last) : "no new status") + ")",
            0});
}

}  // namespace

void add_otaupgrade(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<OtaUpgradeOptions>();
  auto* cmd = app.add_subcommand(
      "otaupgrade", "Update a node whose firmware takes OTA through params (esp.service.ota)");
  cmd->add_option("nodeid", o->node_id, "Node id")->required();
  cmd->add_option("otaimagepath", o->file, "Firmware image (.bin, at most 5 MB)")->required();
  cmd->add_option("--timeout", o->timeout_s, "Seconds to wait for the node's final status")
      ->check(CLI::Range(1, 86400));
  ctx.on(*cmd, [&ctx, o] { return ota_upgrade(ctx, *o); });
}

}  // namespace stratus::cli::detail
