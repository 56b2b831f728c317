#include "core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace skingan {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto total = static_cast<long long>(std::llround(seconds));
  const long long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  char buffer[32];
  if (h > 0) {
    std::snprintf(buffer, sizeof(buffer), "%lld:%02lld:%02lld", h, m, s);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%02lld:%02lld", m, s);
  }
  return buffer;
}

std::string ProgressBar::render(const std::string& label, std::int64_t done, std::int64_t total,
                                double seconds, const std::string& unit, int width,
                                std::int64_t skipped) {
  const double fraction =
      total > 0 ? std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0)
                : 1.0;
  const int filled = static_cast<int>(std::floor(fraction * width));
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(width - filled), '.');
  const double rate = seconds > 0 ? static_cast<double>(done - skipped) / seconds : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : -1.0;
  char buffer[256];
  std::snprintf(buffer, sizeof(buffer), "%s [%s] %lld/%lld %.1f %s/s %s %s", label.c_str(),
                bar.c_str(), static_cast<long long>(done), static_cast<long long>(total), rate,
                unit.c_str(), done >= total ? "in" : "ETA",
                format_duration(done >= total ? seconds : eta).c_str());
  return buffer;
}

ProgressBar::ProgressBar(std::string label, std::int64_t total, std::string unit, bool enabled)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      enabled_(enabled),
      is_tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { finish(); }

std::int64_t ProgressBar::done() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return done_;
}

void ProgressBar::advance(std::int64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += count;
  if (!enabled_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (is_tty_) {
    if (now - last_draw_ > std::chrono::milliseconds(100) || done_ >= total_) {
      last_draw_ = now;
      draw(false);
    }
  } else {
    const int decile = total_ > 0 ? static_cast<int>(10 * done_ / total_) : 10;
    if (decile != last_decile_ && decile < 10) {
      last_decile_ = decile;
      draw(false);
    }
  }
}

void ProgressBar::skip(std::int64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += count;
  skipped_ += count;
}

void ProgressBar::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (enabled_) draw(true);
}

void ProgressBar::draw(bool final_line) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::string line = render(label_, done_, total_, seconds, unit_, 30, skipped_);
  if (is_tty_) {
    std::fprintf(stderr, "\r%s\x1b[K%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace skingan
