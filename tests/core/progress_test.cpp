#include <gtest/gtest.h>

#include <thread>

#include "core/progress.h"

using skingan::ProgressBar;

TEST(Progress, RendersRateAndEta) {
  const std::string line = ProgressBar::render("prepare", 50, 100, 10.0, "img", 10);
  EXPECT_EQ(line, "prepare [#####.....] 50/100 5.0 img/s ETA 00:10");
  EXPECT_EQ(ProgressBar::render("x", 100, 100, 125.0, "step", 4),
            "x [####] 100/100 0.8 step/s in 02:05");
}

TEST(Progress, LeavesUnitsOfAnEarlierProcessOutOfTheRate) {
  // Resumed at 50 of 100: 10 new units in 10 s is 1 unit/s, so 40 left take 40 s.
  EXPECT_EQ(ProgressBar::render("x", 60, 100, 10.0, "step", 10, /*skipped=*/50),
            "x [######....] 60/100 1.0 step/s ETA 00:40");
  ProgressBar bar("t", 100, "it", /*enabled=*/false);
  bar.skip(50);
  bar.advance(3);
  EXPECT_EQ(bar.done(), 53);
}

TEST(Progress, FormatsLongDurations) {
  EXPECT_EQ(skingan::format_duration(3725), "1:02:05");
  EXPECT_EQ(skingan::format_duration(-1), "--:--");
}

TEST(Progress, CountsAdvancesFromManyThreads) {
  ProgressBar bar("t", 1000, "it", /*enabled=*/false);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) bar.advance();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bar.done(), 1000);
}
