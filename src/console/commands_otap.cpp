// The console's scratchpad (OTAP) commands for the selected sink (spec wirepas.md §2.6,
// §3.2-3.3): status, upload (in chunks when the gateway takes them, as
// wirepas-mqtt-library's `upload_scratchpad` sends them), processing.
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <tuple>

#include "console/commands.hpp"
#include "console/detail/command_text.hpp"
#include "console/detail/output.hpp"
#include "console/detail/replies.hpp"
#include "wirepas/topics.hpp"

namespace stratus::console {

namespace pb = wirepas::pb;
namespace json = boost::json;
using namespace detail;
using wirepas::Operation;

namespace {

// An image larger than this is refused before anything is sent (the sink's area is far
// smaller; the file is read into memory whole).
constexpr std::uintmax_t kMaxImageBytes = 16 * 1024 * 1024;

}  // namespace

bool Console::scratchpad_status(Output& out, const Bound& a) {
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  const auto timeout = timeout_of(a, options_.request_timeout);
  if (!timeout)
    return out.fail("Command FAIL. timeout is a number of seconds");
  pb::GenericMessage m;
  auto* r = m.mutable_wirepas()->mutable_get_scratchpad_status_req();
  const auto req_id = wirepas::new_request_id();
  r->mutable_header()->set_req_id(req_id);
  r->mutable_header()->set_sink_id(sink_);
  auto resp =
      exchange(Operation::otap_status, gateway_, sink_, req_id, m.SerializeAsString(), *timeout);
  if (!resp)
    return out.fail("Error got no reply for " + gateway_ + " in time. Time waited " +
                    seconds(*timeout) + " secs.");
  out.fields()["result"] = result_of(*resp);
  if (!result_ok(*resp))
    return out.fail("Command FAIL [" + result_of(*resp) + "]");
  const auto& s = resp->wirepas().get_scratchpad_status_resp();
  const auto info = [](const pb::ScratchpadInfo& i) {
    char crc[16];
    std::snprintf(crc, sizeof crc, "0x%04x", i.crc());
    return std::make_tuple(std::to_string(i.seq()), std::to_string(i.len()), std::string(crc));
  };
  if (s.has_stored_scratchpad()) {
    const auto [seq, len, crc] = info(s.stored_scratchpad());
    out.line("Stored scratchpad:");
    out.line("  seq: " + seq);
    out.line("  len: " + len);
    out.line("  crc: " + crc);
    out.line(std::string("  status: ") +
             (s.has_stored_status() ? pb::ScratchpadStatus_Name(s.stored_status()) : "-"));
    out.line(std::string("  type: ") +
             (s.has_stored_type() ? pb::ScratchpadType_Name(s.stored_type()) : "-"));
    out.fields()["stored"] = json::object{{"seq", s.stored_scratchpad().seq()},
                                          {"len", s.stored_scratchpad().len()},
                                          {"crc", s.stored_scratchpad().crc()}};
  }
  if (s.has_processed_scratchpad()) {
    const auto [seq, len, crc] = info(s.processed_scratchpad());
    out.line("Processed scratchpad:");
    out.line("  seq: " + seq);
    out.line("  len: " + len);
    out.line("  crc: " + crc);
    out.fields()["processed"] = json::object{{"seq", s.processed_scratchpad().seq()},
                                             {"len", s.processed_scratchpad().len()},
                                             {"crc", s.processed_scratchpad().crc()}};
  }
  if (s.has_firmware_area_id()) {
    char area[16];
    std::snprintf(area, sizeof area, "0x%08x", s.firmware_area_id());
    out.line("Firmware:");
    out.line(std::string("  area id: ") + area);
    out.fields()["firmware_area_id"] = s.firmware_area_id();
  }
  return true;
}

bool Console::scratchpad_upload(Output& out, const Bound& a) {
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  // The classic names (file_path, seq) and the current ones (filepath, sequence).
  const auto path = value_or(a, "file_path", value_or(a, "filepath", ""));
  const auto seq = to_uint(value_or(a, "seq", value_or(a, "sequence", "")), 255);
  if (path.empty() || !seq || *seq == 0)
    return out.fail("Command FAIL. scratchpad_upload file_path=<file> seq=<1-255>");
  const auto timeout = timeout_of(a, std::chrono::seconds(60));
  if (!timeout)
    return out.fail("Command FAIL. timeout is a number of seconds");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    return out.fail("Command FAIL. Cannot read " + path + ".");
  const auto end = in.tellg();
  if (end < 0)
    return out.fail("Command FAIL. Cannot read " + path + ".");
  const auto size = static_cast<std::uintmax_t>(end);
  if (size == 0 || size > kMaxImageBytes)
    return out.fail("Command FAIL. " + path + " is " + std::to_string(size) +
                    " bytes; an image is 1 byte to 16 MiB.");
  in.seekg(0);
  std::string image(static_cast<std::size_t>(size), '\0');
  if (!in.read(image.data(), static_cast<std::streamsize>(image.size())))
    return out.fail("Command FAIL. Cannot read " + path + ".");

  // One message, or chunks of the size the gateway advertised when it takes chunks.
  std::size_t chunk = image.size();
  if (const auto gw = map_.gateways().find(gateway_);
      gw != map_.gateways().end() && gw->second.max_scratchpad_size &&
      *gw->second.max_scratchpad_size > 0 && image.size() > *gw->second.max_scratchpad_size) {
    if (!gw->second.features.contains(pb::SCRATCHPAD_CHUNK_V1))
      return out.fail("Command FAIL. " + gateway_ + " takes at most " +
                      std::to_string(*gw->second.max_scratchpad_size) +
                      " bytes and does not advertise chunked uploads.");
    chunk = *gw->second.max_scratchpad_size;
  }
  const bool chunked = chunk < image.size();
  out.line("Performing upload of " + std::to_string(image.size()) + " bytes" +
           (chunked ? " in chunks of " + std::to_string(chunk) : std::string()) + ".");
  out.line("Waiting response up to " + seconds(*timeout) + " sec.");
  std::size_t sent = 0;
  std::size_t messages = 0;
  while (sent < image.size()) {
    const std::size_t n = std::min(chunk, image.size() - sent);
    pb::GenericMessage m;
    auto* r = m.mutable_wirepas()->mutable_upload_scratchpad_req();
    const auto req_id = wirepas::new_request_id();
    r->mutable_header()->set_req_id(req_id);
    r->mutable_header()->set_sink_id(sink_);
    r->set_seq(static_cast<std::uint32_t>(*seq));
    r->set_scratchpad(image.substr(sent, n));
    if (chunked) {
      r->mutable_chunk_info()->set_scratchpad_total_size(static_cast<std::uint32_t>(image.size()));
      r->mutable_chunk_info()->set_start_offset(static_cast<std::uint32_t>(sent));
    }
    auto resp = exchange(Operation::otap_load_scratchpad, gateway_, sink_, req_id,
                         m.SerializeAsString(), *timeout);
    ++messages;
    if (!resp)
      return out.fail("Error got no reply for " + gateway_ + " in time. Time waited " +
                      seconds(*timeout) + " secs. (" + std::to_string(sent) + " of " +
                      std::to_string(image.size()) + " bytes sent)");
    out.fields()["result"] = result_of(*resp);
    if (!result_ok(*resp))
      return out.fail("Command FAIL [" + result_of(*resp) + "] at byte " + std::to_string(sent));
    sent += n;
    if (chunked) {
      out.line("  " + std::to_string(sent) + " / " + std::to_string(image.size()));
      out.flush();
    }
  }
  out.fields()["bytes"] = image.size();
  out.fields()["messages"] = messages;
  out.fields()["seq"] = *seq;
  out.line("Command OK.");
  return true;
}

bool Console::scratchpad_update(Output& out, const Bound& a) {
  if (gateway_.empty() || sink_.empty())
    return out.fail("Command FAIL. Set sink first.");
  const auto timeout = timeout_of(a, std::chrono::seconds(60));
  if (!timeout)
    return out.fail("Command FAIL. timeout is a number of seconds");
  pb::GenericMessage m;
  auto* r = m.mutable_wirepas()->mutable_process_scratchpad_req();
  const auto req_id = wirepas::new_request_id();
  r->mutable_header()->set_req_id(req_id);
  r->mutable_header()->set_sink_id(sink_);
  out.line("Processing the stored scratchpad. Waiting response up to " + seconds(*timeout) +
           " sec.");
  auto resp = exchange(Operation::otap_process_scratchpad, gateway_, sink_, req_id,
                       m.SerializeAsString(), *timeout);
  if (!resp)
    return out.fail("Error got no reply for " + gateway_ + " in time. Time waited " +
                    seconds(*timeout) + " secs.");
  out.fields()["result"] = result_of(*resp);
  if (!result_ok(*resp))
    return out.fail("Command FAIL [" + result_of(*resp) + "]");
  out.line("Command OK.");
  return true;
}

}  // namespace stratus::console
