#include "sim/ota_downloads.hpp"

#include <utility>

namespace stratus::sim {
namespace {

constexpr int kMaxWorkers = 256;

}  // namespace

Result<std::unique_ptr<DownloadPool>> DownloadPool::create(int workers, std::filesystem::path dir,
                                                           agent::DownloadOptions options) {
  if (workers < 1 || workers > kMaxWorkers) {
    return fail(errc::invalid_argument,
                "download workers must be 1.." + std::to_string(kMaxWorkers));
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return fail(errc::unavailable, "cannot create " + dir.string() + ": " + ec.message());
  }
  std::unique_ptr<DownloadPool> pool(new DownloadPool(std::move(dir), std::move(options)));
  pool->workers_.reserve(static_cast<std::size_t>(workers));
  for (int i = 0; i < workers; ++i) {
    pool->workers_.emplace_back([p = pool.get()] { p->work(); });
  }
  return pool;
}

DownloadPool::DownloadPool(std::filesystem::path dir, agent::DownloadOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {}

DownloadPool::~DownloadPool() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
    for (auto& [node, cancel] : current_) {
      cancel->store(true);
    }
  }
  wake_.notify_all();
  workers_.clear();  // joins
}

void DownloadPool::start(std::size_t node, std::string file_name, std::string ca_file,
                         agent::OtaDownload request) {
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  {
    const std::lock_guard lock(mutex_);
    if (auto it = current_.find(node); it != current_.end()) {
      it->second->store(true);  // a queued one is skipped by the worker that takes it
    }
    current_[node] = cancel;
    queue_.push_back(
        Job{node, std::move(file_name), std::move(ca_file), std::move(request), std::move(cancel)});
  }
  wake_.notify_one();
}

void DownloadPool::cancel(std::size_t node) {
  const std::lock_guard lock(mutex_);
  if (auto it = current_.find(node); it != current_.end()) {
    it->second->store(true);
    current_.erase(it);
  }
}

void DownloadPool::discard(const std::string& file_name) const {
  std::error_code ec;
  std::filesystem::remove(dir_ / file_name, ec);
}

void DownloadPool::drain(std::vector<DownloadEvent>& out) {
  const std::lock_guard lock(mutex_);
  if (out.empty()) {
    out.swap(events_);
    return;
  }
  for (auto& e : events_) {
    out.push_back(std::move(e));
  }
  events_.clear();
}

DownloadPoolStats DownloadPool::stats() const {
  const std::lock_guard lock(mutex_);
  return stats_;
}

void DownloadPool::post(DownloadEvent event) {
  const std::lock_guard lock(mutex_);
  events_.push_back(std::move(event));
}

void DownloadPool::work() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        return;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
      if (job.cancel->load()) {
        continue;  // replaced or cancelled while queued
      }
      ++stats_.started;
    }
    run(job);
  }
}

void DownloadPool::run(Job& job) {
  const auto node = job.node;
  const auto id = job.request.id;
  agent::DownloadEvents events;
  events.on_header = [this, node, id](std::span<const std::uint8_t> head) {
    DownloadEvent e;
    e.kind = DownloadEvent::Kind::header;
    e.node = node;
    e.download_id = id;
    e.head.assign(head.begin(), head.end());
    post(std::move(e));
  };
  events.on_progress = [this, node, id](std::uint64_t bytes) {
    DownloadEvent e;
    e.kind = DownloadEvent::Kind::progress;
    e.node = node;
    e.download_id = id;
    e.bytes = bytes;
    post(std::move(e));
  };
  auto options = options_;
  options.ca_file = job.ca_file;
  auto result =
      agent::download_image(job.request, dir_ / job.file_name, options, events, *job.cancel);
  DownloadEvent e;
  e.kind = DownloadEvent::Kind::finished;
  e.node = node;
  e.download_id = id;
  {
    const std::lock_guard lock(mutex_);
    if (result) {
      ++stats_.succeeded;
      stats_.bytes += result->bytes;
    } else {
      ++stats_.failed;
      auto& reasons = stats_.failure_reasons;
      const auto& text = result.error().context;
      if (reasons.contains(text) || reasons.size() < kMaxFailureReasons)
        ++reasons[text];
      else
        ++reasons["other"];
    }
    if (auto it = current_.find(node); it != current_.end() && it->second == job.cancel) {
      current_.erase(it);
    }
  }
  e.result = std::move(result);
  post(std::move(e));
}

}  // namespace stratus::sim
