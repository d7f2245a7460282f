#pragma once
/// @file
/// Image downloads for many virtual nodes at once (the swarm's OTA, spec
/// rainmaker-device.md §8.2): a fixed pool of worker threads runs `agent::download_image`
/// for the nodes' `MqttAction::download` requests, one file per node, and hands the
/// download events back to the thread that drives the nodes' sessions, which collects them
/// with `drain`. A node's firmware downloads one image at a time; so does the pool, per
/// node, while many nodes download in parallel (at most one per worker).

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "agent/node_actions.hpp"
#include "agent/ota_download.hpp"
#include "agent/ota_engine.hpp"
#include "core/error.hpp"

namespace stratus::sim {

/// One thing that happened to a node's download, for `agent::NodeSession`'s
/// `on_download_header`, `on_download_progress` and `on_download_finished`.
struct DownloadEvent {
  enum class Kind { header, progress, finished };
  Kind kind = Kind::progress;
  std::size_t node = 0;                                  ///< the caller's index of the node
  std::uint64_t download_id = 0;                         ///< `agent::OtaDownload::id`
  std::vector<std::uint8_t> head;                        ///< `header`: the image's first bytes
  std::uint64_t bytes = 0;                               ///< `progress`: bytes so far from byte 0
  std::optional<Result<agent::DownloadedImage>> result;  ///< `finished`: the outcome
};

/// Counters of a pool since it was made.
struct DownloadPoolStats {
  std::uint64_t started = 0;    ///< downloads a worker began
  std::uint64_t succeeded = 0;  ///< downloads that returned an image
  std::uint64_t failed = 0;     ///< downloads that returned an error (cancelled ones too)
  std::uint64_t bytes = 0;      ///< image bytes of the successful downloads
  /// Failed downloads by error text (the first `kMaxFailureReasons` distinct texts; later
  /// new texts count under "other").
  std::map<std::string, std::uint64_t> failure_reasons;
};

/// Distinct failure texts `DownloadPoolStats::failure_reasons` keeps.
inline constexpr std::size_t kMaxFailureReasons = 8;

/// A pool of download workers shared by many nodes.
///
/// Thread-safety: `start`, `cancel`, `drain` and `stats` may be called from any thread (the
/// driver calls them from its one thread); events are delivered only through `drain`, never
/// by callback, so the driver's sessions are touched only by the driver. The destructor
/// cancels every download and joins the workers (within about a second, the downloads'
/// cancellation latency).
class DownloadPool {
 public:
  /// `workers` threads (1..256) downloading into `dir` (created if missing; one file per
  /// node, `<dir>/<file_name>`), each download with `options` except its `ca_file`, which
  /// comes with the request. Errors: invalid_argument for a worker count out of range;
  /// unavailable when `dir` cannot be created.
  static Result<std::unique_ptr<DownloadPool>> create(int workers, std::filesystem::path dir,
                                                      agent::DownloadOptions options);

  ~DownloadPool();
  DownloadPool(const DownloadPool&) = delete;
  DownloadPool& operator=(const DownloadPool&) = delete;

  /// Queues `request` for `node`, downloading into `<dir>/<file_name>` and trusting
  /// `ca_file` for https. A download of that node still queued or running is cancelled
  /// first (as `agent::MqttAction::Kind::download` replaces the old one).
  void start(std::size_t node, std::string file_name, std::string ca_file,
             agent::OtaDownload request);

  /// Cancels the node's queued or running download (its events may still arrive; the
  /// session ignores events of a download it no longer waits for). No-op when none.
  void cancel(std::size_t node);

  /// Removes the node's file `<dir>/<file_name>` (a flashed image is no longer needed).
  void discard(const std::string& file_name) const;

  /// Appends the events that arrived since the last call to `out`, in order per node.
  void drain(std::vector<DownloadEvent>& out);

  /// Counters so far.
  [[nodiscard]] DownloadPoolStats stats() const;

 private:
  struct Job {
    std::size_t node = 0;
    std::string file_name;
    std::string ca_file;
    agent::OtaDownload request;
    std::shared_ptr<std::atomic<bool>> cancel;
  };

  DownloadPool(std::filesystem::path dir, agent::DownloadOptions options);
  void work();
  void run(Job& job);
  void post(DownloadEvent event);

  const std::filesystem::path dir_;
  const agent::DownloadOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::deque<Job> queue_;
  /// Cancellation flag of each node's current (queued or running) download.
  std::unordered_map<std::size_t, std::shared_ptr<std::atomic<bool>>> current_;
  std::vector<DownloadEvent> events_;
  DownloadPoolStats stats_;
  std::vector<std::jthread> workers_;
};

}  // namespace stratus::sim
