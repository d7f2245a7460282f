#include "client/detail/transport.hpp"

#include <curl/curl.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string_view>

namespace stratus::client::detail {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
  std::string* body;
  std::size_t limit;
  bool overflow = false;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t n = size * count;
  if (sink->body->size() + n > sink->limit) {
    sink->overflow = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  sink->body->append(data, n);
  return n;
}

// The streamed body of an upload: read in libcurl's chunks, never whole.
struct Source {
  std::FILE* file = nullptr;
  int read_errno = 0;
  ~Source() {
    if (file != nullptr)
      std::fclose(file);
  }
};

std::size_t read_body(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* source = static_cast<Source*>(user);
  const std::size_t n = std::fread(buffer, 1, size * count, source->file);
  if (n == 0 && std::ferror(source->file) != 0) {
    source->read_errno = errno != 0 ? errno : EIO;
    return CURL_READFUNC_ABORT;
  }
  return n;
}

// Collects `Set-Cookie` values (at most 16 of at most 4 KiB each; more are dropped).
std::size_t read_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* cookies = static_cast<std::vector<std::string>*>(user);
  const std::size_t n = size * count;
  constexpr std::string_view kName = "set-cookie:";
  std::string_view line(data, n);
  if (line.size() > kName.size() && cookies->size() < 16) {
    bool match = true;
    for (std::size_t i = 0; i < kName.size() && match; ++i)
      match = std::tolower(static_cast<unsigned char>(line[i])) == kName[i];
    if (match) {
      line.remove_prefix(kName.size());
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
        line.remove_prefix(1);
      while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' '))
        line.remove_suffix(1);
      if (line.size() <= 4096)
        cookies->emplace_back(line);
    }
  }
  return n;
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
};

}  // namespace

struct Transport::Impl {
  TransportOptions options;
  CURL* curl = nullptr;
};

Transport::Transport(TransportOptions options) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->options = std::move(options);
  impl_->curl = curl_easy_init();
}

Transport::~Transport() {
  if (impl_->curl != nullptr)
    curl_easy_cleanup(impl_->curl);
}

Result<HttpReply> Transport::perform(const HttpRequest& request) {
  const auto& options = impl_->options;
  CURL* curl = impl_->curl;
  if (curl == nullptr)
    return fail(errc::internal, "libcurl could not be initialised");
  curl_easy_reset(curl);  // keeps the connection cache

  HttpReply reply;
  Sink sink{&reply.body, options.max_reply_bytes};
  char error_buffer[CURL_ERROR_SIZE] = {};
  HeaderList headers;
  for (const auto& h : request.headers)
    headers.list = curl_slist_append(headers.list, h.c_str());
  // libcurl would otherwise send "Expect: 100-continue" for large bodies.
  headers.list = curl_slist_append(headers.list, "Expect:");

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "stratus-client/0.1");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  if (request.capture_cookies) {
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &read_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.set_cookies);
  }
  if (!options.ca_file.empty())
    curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  Source source;
  if (!request.body_file.empty()) {
    source.file = std::fopen(request.body_file.c_str(), "rbe");
    if (source.file == nullptr) {
      const int e = errno;
      return fail(e == ENOENT ? errc::not_found : errc::unavailable,
                  "cannot read " + request.body_file.string() + ": " + std::strerror(e));
    }
    if (std::fseek(source.file, 0, SEEK_END) != 0) {
      return fail(errc::unavailable,
                  "cannot read " + request.body_file.string() + ": " + std::strerror(errno));
    }
    const long size = std::ftell(source.file);
    if (size < 0 || std::fseek(source.file, 0, SEEK_SET) != 0) {
      return fail(errc::unavailable,
                  "cannot read " + request.body_file.string() + ": not a regular file");
    }
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    if (request.method != "POST")
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &read_body);
    curl_easy_setopt(curl, CURLOPT_READDATA, &source);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(size));
  } else if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.has_body || request.method == "POST" || request.method == "PUT") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }

  const CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    if (source.read_errno != 0) {
      return fail(errc::unavailable, "cannot read " + request.body_file.string() + ": " +
                                         std::strerror(source.read_errno));
    }
    if (sink.overflow) {
      return fail(errc::resource_exhausted, "the answer of " + options.server + " is larger than " +
                                                std::to_string(options.max_reply_bytes) + " bytes");
    }
    long os_errno = 0;
    curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
    std::string cause = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
    switch (rc) {
      case CURLE_GOT_NOTHING:
        return fail(errc::unavailable, options.server + " closed the connection without an answer");
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
        // "Connection refused" rather than "Failed to connect to … after 0 ms: …".
        if (os_errno != 0)
          cause = std::strerror(static_cast<int>(os_errno));
        return fail(errc::unavailable, "cannot reach " + options.server + ": " + cause);
      case CURLE_OPERATION_TIMEDOUT:
        return fail(errc::timeout, "no answer from " + options.server + " in time: " + cause);
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CERTPROBLEM:
        return fail(errc::unavailable, "TLS with " + options.server + " failed: " + cause);
      default:
        return fail(errc::unavailable, "cannot reach " + options.server + ": " + cause);
    }
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  reply.status = static_cast<int>(status);
  return reply;
}

}  // namespace stratus::client::detail
