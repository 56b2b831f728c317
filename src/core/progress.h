// A thread-safe progress bar with rate and ETA on stderr.
// On a terminal it redraws one line; elsewhere (CI logs, files) it prints a line every 10%.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace skingan {

class ProgressBar {
 public:
  // `total` units of work named `unit` ("img", "step"); `enabled=false` prints nothing.
  ProgressBar(std::string label, std::int64_t total, std::string unit = "it", bool enabled = true);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Adds `count` finished units; safe to call from many threads.
  void advance(std::int64_t count = 1);
  // Adds `count` units finished before this process started (a resumed run): they show in the
  // count but not in the rate, or a resumed run would claim thousands of steps a second.
  void skip(std::int64_t count);
  // Prints the final line (idempotent; also done by the destructor).
  void finish();

  std::int64_t done() const;

  // "[#####.....] 50/100 12.3 img/s ETA 00:04" without colours, for tests and logs; the rate
  // counts the `done - skipped` units of the last `seconds`.
  static std::string render(const std::string& label, std::int64_t done, std::int64_t total,
                            double seconds, const std::string& unit, int width = 30,
                            std::int64_t skipped = 0);

 private:
  void draw(bool final_line);

  std::string label_;
  std::int64_t total_;
  std::string unit_;
  bool enabled_;
  bool is_tty_;
  bool finished_ = false;
  std::int64_t done_ = 0;
  std::int64_t skipped_ = 0;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  mutable std::mutex mutex_;
};

// "01:02:03" or "02:03".
std::string format_duration(double seconds);

}  // namespace skingan
