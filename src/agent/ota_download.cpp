#include "agent/ota_download.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/hex.hpp"
#include "proto/esp_image.hpp"

namespace stratus::agent {
namespace {

constexpr std::uint64_t kProgressEveryBytes = 16 * 1024;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

struct CurlDeleter {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
struct MdDeleter {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

tl::unexpected<Error> failed(std::string why) {
  return fail(errc::unavailable, "OTA failed: " + why);
}

// The running checks over the image from byte 0: SHA-256, structure, the header bytes.
class ImageState {
 public:
  explicit ImageState(std::uint64_t max_bytes) : max_bytes_(max_bytes) { reset(); }

  void reset() {
    md_.reset(EVP_MD_CTX_new());
    if (md_ == nullptr || EVP_DigestInit_ex(md_.get(), EVP_sha256(), nullptr) != 1) {
      md_.reset();
    }
    checker_.emplace(max_bytes_);
    structure_error_.clear();
    head_.clear();
    header_sent_ = false;
    bytes_ = 0;
    last_progress_ = 0;
  }

  void feed(std::span<const std::uint8_t> data, const DownloadEvents& events) {
    if (md_ != nullptr && EVP_DigestUpdate(md_.get(), data.data(), data.size()) != 1) {
      md_.reset();
    }
    if (structure_error_.empty()) {
      if (auto ok = checker_->feed(data); !ok) {
        structure_error_ = ok.error().context;
      }
    }
    if (!header_sent_) {
      const auto take = std::min(data.size(), proto::kEspImageHeaderBytes - head_.size());
      head_.insert(head_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
      if (head_.size() == proto::kEspImageHeaderBytes) {
        header_sent_ = true;
        if (events.on_header) {
          events.on_header(head_);
        }
      }
    }
    bytes_ += data.size();
    if (events.on_progress && bytes_ - last_progress_ >= kProgressEveryBytes) {
      last_progress_ = bytes_;
      events.on_progress(bytes_);
    }
  }

  Result<DownloadedImage> finish(const DownloadEvents& events) {
    if (events.on_progress && bytes_ != last_progress_) {
      events.on_progress(bytes_);
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (md_ == nullptr || EVP_DigestFinal_ex(md_.get(), digest.data(), &length) != 1) {
      return failed("SHA-256 could not be computed (OpenSSL)");
    }
    DownloadedImage image;
    image.bytes = bytes_;
    image.sha256_hex = to_hex(std::span<const std::uint8_t>(digest.data(), length));
    image.structure_error = structure_error_;
    if (image.structure_error.empty()) {
      if (auto ok = checker_->finish(); !ok) {
        image.structure_error = ok.error().context;
      }
    }
    return image;
  }

  [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }

 private:
  std::uint64_t max_bytes_;
  std::unique_ptr<EVP_MD_CTX, MdDeleter> md_;
  std::optional<proto::EspImageChecker> checker_;
  std::string structure_error_;
  std::vector<std::uint8_t> head_;
  bool header_sent_ = false;
  std::uint64_t bytes_ = 0;
  std::uint64_t last_progress_ = 0;
};

// One HTTP request's state, shared with libcurl's callbacks.
struct Transfer {
  CURL* curl = nullptr;
  const std::filesystem::path* path = nullptr;
  const DownloadOptions* options = nullptr;
  const DownloadEvents* events = nullptr;
  const std::atomic<bool>* cancel = nullptr;
  ImageState* image = nullptr;
  File file;
  std::uint64_t offset = 0;                  ///< bytes asked to skip (Range)
  std::optional<std::uint64_t> range_start;  ///< from Content-Range
  bool started = false;                      ///< the first body byte was handled
  long status = 0;
  std::string error;  ///< why a callback stopped the transfer
};

std::size_t on_header_line(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  constexpr std::string_view kName = "content-range:";
  if (line.size() > kName.size() &&
      std::equal(kName.begin(), kName.end(), line.begin(), [](char a, char b) {
        return a == static_cast<char>(std::tolower(static_cast<unsigned char>(b)));
      })) {
    auto value = line.substr(kName.size());
    const auto bytes = value.find("bytes ");
    if (bytes != std::string_view::npos) {
      value.remove_prefix(bytes + 6);
      std::uint64_t start = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), start);
      if (ec == std::errc() && end != value.data()) {
        t->range_start = start;
      }
    }
  }
  if (line.starts_with("HTTP/")) {
    t->range_start.reset();  // a new response (after a redirect)
  }
  return n;
}

// Decides, at the first body byte, whether it appends (206 at the asked offset) or starts
// over (200).
bool start_body(Transfer& t) {
  curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &t.status);
  if (t.status == 206 && t.offset > 0) {
    if (t.range_start != t.offset) {
      t.error = "OTA failed: the server resumed at another offset";
      return false;
    }
    t.file.reset(std::fopen(t.path->c_str(), "ab"));
  } else if (t.status == 200) {
    t.offset = 0;
    t.image->reset();
    t.file.reset(std::fopen(t.path->c_str(), "wb"));
  } else {
    t.error = "OTA failed: HTTP " + std::to_string(t.status);
    return false;
  }
  if (t.file == nullptr) {
    t.error = "OTA failed: cannot open " + t.path->string() + ": " + std::strerror(errno);
    return false;
  }
  t.started = true;
  return true;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (t->cancel->load()) {
    return 0;
  }
  if (!t->started && !start_body(*t)) {
    return 0;
  }
  if (t->image->bytes() + n > t->options->max_image_bytes) {
    t->error =
        "OTA failed: image larger than " + std::to_string(t->options->max_image_bytes) + " bytes";
    return 0;
  }
  if (std::fwrite(data, 1, n, t->file.get()) != n) {
    t->error = "OTA failed: cannot write " + t->path->string() + ": " + std::strerror(errno);
    return 0;
  }
  t->image->feed({reinterpret_cast<const std::uint8_t*>(data), n}, *t->events);
  return n;
}

int on_xfer(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer*>(user)->cancel->load() ? 1 : 0;
}

// Feeds what an earlier attempt left in `path` (resume); returns its size, or 0 when the
// file cannot be read (the download then starts over).
std::uint64_t feed_existing(const std::filesystem::path& path, ImageState& image,
                            const DownloadEvents& events, std::uint64_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size == 0 || size >= max_bytes) {
    return 0;
  }
  File in(std::fopen(path.c_str(), "rb"));
  if (in == nullptr) {
    return 0;
  }
  std::vector<std::uint8_t> chunk(64 * 1024);
  std::uint64_t total = 0;
  for (;;) {  // bounded by the file's size
    const auto n = std::fread(chunk.data(), 1, chunk.size(), in.get());
    if (n == 0) {
      break;
    }
    image.feed({chunk.data(), n}, events);
    total += n;
  }
  if (std::ferror(in.get()) != 0 || total != size) {
    image.reset();
    return 0;
  }
  return total;
}

}  // namespace

Result<DownloadedImage> download_image(const OtaDownload& request,
                                       const std::filesystem::path& file,
                                       const DownloadOptions& options, const DownloadEvents& events,
                                       const std::atomic<bool>& cancel) {
  global_init();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) {
    return failed("libcurl could not be initialised");
  }
  ImageState image(options.max_image_bytes);
  std::uint64_t offset = 0;
  if (request.resume) {
    offset = feed_existing(file, image, events, options.max_image_bytes);
  }
  if (offset == 0) {
    File out(std::fopen(file.c_str(), "wb"));
    if (out == nullptr) {
      return failed("cannot create " + file.string() + ": " + std::strerror(errno));
    }
  }
  // At most two requests: a resume the server refuses with 416 is followed by a plain one.
  for (int request_number = 0; request_number < 2; ++request_number) {
    Transfer t;
    t.curl = curl.get();
    t.path = &file;
    t.options = &options;
    t.events = &events;
    t.cancel = &cancel;
    t.image = &image;
    t.offset = offset;
    char error_buffer[CURL_ERROR_SIZE] = {};
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    if (offset > 0) {
      headers.reset(
          curl_slist_append(nullptr, ("Range: bytes=" + std::to_string(offset) + "-").c_str()));
    }
    curl_easy_reset(curl.get());
    curl_easy_setopt(curl.get(), CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "stratus-node-ota/0.1");
    curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(options.stall_timeout.count()));
    if (!options.ca_file.empty()) {
      curl_easy_setopt(curl.get(), CURLOPT_CAINFO, options.ca_file.c_str());
    }
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, on_header_line);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, on_xfer);
    curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, &t);

    const CURLcode rc = curl_easy_perform(curl.get());
    t.file.reset();  // flush and close before the result is used
    if (cancel.load()) {
      return fail(errc::timeout, "OTA failed: cancelled");
    }
    if (!t.error.empty()) {
      return fail(errc::unavailable, t.error);
    }
    if (rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR ||
        (rc == CURLE_OPERATION_TIMEDOUT && t.started)) {
      return fail(errc::unavailable, "Complete data was not received");
    }
    if (rc != CURLE_OK) {
      return failed(error_buffer[0] != '\0' ? std::string(error_buffer)
                                            : std::string(curl_easy_strerror(rc)));
    }
    if (!t.started) {
      // No body: an empty image (200), or an answer without one.
      curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &t.status);
      if (t.status == 416 && offset > 0 && request_number == 0) {
        offset = 0;  // the saved bytes do not fit the image: start over
        image.reset();
        File out(std::fopen(file.c_str(), "wb"));
        if (out == nullptr) {
          return failed("cannot create " + file.string() + ": " + std::strerror(errno));
        }
        continue;
      }
      if (t.status == 200) {
        image.reset();
        File out(std::fopen(file.c_str(), "wb"));
      } else if (!(t.status == 206 && offset > 0)) {
        return failed("HTTP " + std::to_string(t.status));
      }
    }
    return image.finish(events);
  }
  return failed("the server refused the resumed request");
}

}  // namespace stratus::agent
