#include <gtest/gtest.h>

#include <atomic>

#include <ATen/Parallel.h>

#include "core/error.h"
#include "core/parallel.h"
#include "core/threads.h"

using namespace skingan;

TEST(Threads, ConfiguresTorchAndHoldsOpenBlasToOne) {
  const ThreadSettings settings = configure_threads(2);
  EXPECT_EQ(settings.torch_threads, 2);
  EXPECT_EQ(at::get_num_threads(), 2);
  EXPECT_EQ(configured_threads(), 2);
  const ThreadSettings all = configure_threads(0);
  EXPECT_EQ(all.torch_threads, available_cores());
  EXPECT_THROW(configure_threads(-1), ConfigError);
}

TEST(Parallel, VisitsEveryIndexOnceAndRethrows) {
  std::vector<std::atomic<int>> visits(1000);
  parallel_for_each(1000, 3, [&](std::int64_t i) { ++visits[static_cast<size_t>(i)]; });
  for (const auto& v : visits) EXPECT_EQ(v.load(), 1);
  EXPECT_THROW(parallel_for_each(100, 2,
                                 [](std::int64_t i) {
                                   if (i == 57) throw std::runtime_error("boom");
                                 }),
               std::runtime_error);
}
